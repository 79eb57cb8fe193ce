// The gateway's API key file (`mi.apikeys/v1`, YAML or JSON): one record per key with its id,
// the SHA-256 of the key (never the key), the models it may use, and optional limits, priority
// band, expiry and admin right. Written by `mi keys`, read by `mi-gateway --api-keys`; both sides
// meet only through this format. Pure: parsing and validation, no file I/O.
import { createHash } from 'node:crypto';
import { parseDocument } from 'yaml';
import { CodedError } from './coded-error.js';
import { toYaml } from './yaml.js';

/** The `format` value of a key file. */
export const API_KEYS_FORMAT = 'mi.apikeys/v1';

/** Priority bands a key may carry (the gateway's `x-mi-priority` bands), highest first. */
export const API_KEY_PRIORITIES = ['high', 'normal', 'low'] as const;
export type ApiKeyPriority = (typeof API_KEY_PRIORITIES)[number];

/** One key as stored: everything about it except the key itself. */
export interface ApiKeyRecord {
  /** Name of the key: what logs, metrics and `mi keys list` show. */
  id: string;
  /** Lower-case hex SHA-256 of the whole key string (`mi-sk-…`). */
  sha256: string;
  /** Model names the key may use: exact names, or globs where `*` matches any run of characters. */
  models: string[];
  /** Requests per minute (all gateway replicas together); absent: no request limit. */
  rpm?: number;
  /** Tokens (prompt + completion) per minute (all gateway replicas together); absent: no token limit. */
  tpm?: number;
  /** Band of the key's requests when they send no `x-mi-priority`, and the highest they may ask for. */
  priority?: ApiKeyPriority;
  /** ISO 8601 time after which the key is refused. */
  expires?: string;
  /** The key may also read the admin/debug endpoints. */
  admin?: boolean;
  /** ISO 8601 time the key was made (informational). */
  created?: string;
}

/** A whole key file. */
export interface ApiKeyFile {
  format: typeof API_KEYS_FORMAT;
  keys: ApiKeyRecord[];
}

/** A key file that does not parse or validate; `problems` lists every fault with its place. */
export class ApiKeyFileError extends CodedError {
  override name: string = 'ApiKeyFileError';
  readonly problems: readonly string[];
  constructor(source: string, problems: string[]) {
    super('MI_ERR_API_KEYS', `${source}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`}`);
    this.problems = problems;
  }
}

const ID = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
const HEX64 = /^[0-9a-f]{64}$/;
// A model pattern: the characters model names use, plus `*`.
const MODEL_PATTERN = /^[A-Za-z0-9._:/@*-]{1,253}$/;
const FIELDS = new Set(['id', 'sha256', 'models', 'rpm', 'tpm', 'priority', 'expires', 'admin', 'created']);
// Full date-time with an explicit zone (or a bare date): what Date.parse reads the same everywhere.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** The key prefix of generated keys. */
export const API_KEY_PREFIX = 'mi-sk-';

/** Lower-case hex SHA-256 of a key string: what the file stores and the gateway looks up. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new key from 32 random bytes (`randomBytes` is passed in): `mi-sk-` + base64url. */
export function makeApiKey(randomBytes: (n: number) => Uint8Array): string {
  const bytes = randomBytes(32);
  if (bytes.length !== 32) throw new RangeError(`randomBytes(32) returned ${bytes.length} bytes`);
  return API_KEY_PREFIX + Buffer.from(bytes).toString('base64url');
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

function isTime(v: unknown): v is string {
  return typeof v === 'string' && ISO_TIME.test(v) && !Number.isNaN(Date.parse(v));
}

function checkRecord(raw: unknown, at: string, problems: string[]): ApiKeyRecord | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push(`${at}: must be a mapping with id, sha256 and models`);
    return null;
  }
  const o = raw as Record<string, unknown>;
  const before = problems.length;
  for (const k of Object.keys(o)) if (!FIELDS.has(k)) problems.push(`${at}.${k}: unknown field (known: ${[...FIELDS].join(', ')})`);
  if (typeof o.id !== 'string' || !ID.test(o.id)) problems.push(`${at}.id: must be 1-63 characters of a-z, 0-9, '.', '_', '-', starting and ending with a letter or digit (got ${JSON.stringify(o.id)})`);
  if (typeof o.sha256 !== 'string' || !HEX64.test(o.sha256)) problems.push(`${at}.sha256: must be 64 lower-case hex digits (the SHA-256 of the key; mi keys create writes it)`);
  if (!Array.isArray(o.models) || o.models.length === 0) problems.push(`${at}.models: must be a non-empty list of model names or globs ("*" for every model)`);
  else o.models.forEach((m, i) => {
    if (typeof m !== 'string' || !MODEL_PATTERN.test(m)) problems.push(`${at}.models[${i}]: not a model name or glob (${JSON.stringify(m)})`);
  });
  for (const f of ['rpm', 'tpm'] as const) if (o[f] !== undefined && !isPositiveInt(o[f])) problems.push(`${at}.${f}: must be a positive integer (got ${JSON.stringify(o[f])})`);
  if (o.priority !== undefined && !(API_KEY_PRIORITIES as readonly unknown[]).includes(o.priority)) problems.push(`${at}.priority: must be one of ${API_KEY_PRIORITIES.join(', ')} (got ${JSON.stringify(o.priority)})`);
  for (const f of ['expires', 'created'] as const) if (o[f] !== undefined && !isTime(o[f])) problems.push(`${at}.${f}: must be an ISO 8601 time such as 2027-01-31T00:00:00Z (got ${JSON.stringify(o[f])})`);
  if (o.admin !== undefined && typeof o.admin !== 'boolean') problems.push(`${at}.admin: must be true or false`);
  if (problems.length > before) return null;
  const r: ApiKeyRecord = { id: o.id as string, sha256: o.sha256 as string, models: [...(o.models as string[])] };
  if (o.rpm !== undefined) r.rpm = o.rpm as number;
  if (o.tpm !== undefined) r.tpm = o.tpm as number;
  if (o.priority !== undefined) r.priority = o.priority as ApiKeyPriority;
  if (o.expires !== undefined) r.expires = o.expires as string;
  if (o.admin !== undefined) r.admin = o.admin as boolean;
  if (o.created !== undefined) r.created = o.created as string;
  return r;
}

/** Validates a parsed key file; throws ApiKeyFileError listing every problem. */
export function validateApiKeyFile(value: unknown, source = 'api key file'): ApiKeyFile {
  const problems: string[] = [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ApiKeyFileError(source, [`must be a mapping with format: ${API_KEYS_FORMAT} and keys: [...]`]);
  const o = value as Record<string, unknown>;
  if (o.format !== API_KEYS_FORMAT) problems.push(`format: must be ${API_KEYS_FORMAT} (got ${JSON.stringify(o.format)})`);
  for (const k of Object.keys(o)) if (k !== 'format' && k !== 'keys') problems.push(`${k}: unknown field (known: format, keys)`);
  const keys: ApiKeyRecord[] = [];
  if (!Array.isArray(o.keys)) problems.push('keys: must be a list (may be empty)');
  else {
    const ids = new Map<string, number>();
    const hashes = new Map<string, number>();
    o.keys.forEach((raw, i) => {
      const r = checkRecord(raw, `keys[${i}]`, problems);
      if (r === null) return;
      const dupId = ids.get(r.id);
      if (dupId !== undefined) problems.push(`keys[${i}].id: "${r.id}" is also keys[${dupId}].id`);
      const dupHash = hashes.get(r.sha256);
      // The hash is the lookup key: two records for one key would make its scope ambiguous.
      if (dupHash !== undefined) problems.push(`keys[${i}].sha256: the same key as keys[${dupHash}]`);
      ids.set(r.id, i);
      hashes.set(r.sha256, i);
      keys.push(r);
    });
  }
  if (problems.length > 0) throw new ApiKeyFileError(source, problems);
  return { format: API_KEYS_FORMAT, keys };
}

/** Parses and validates key-file text (YAML or JSON); throws ApiKeyFileError with every problem. */
export function parseApiKeyFile(text: string, source = 'api key file'): ApiKeyFile {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ApiKeyFileError(source, doc.errors.map((e) => `line ${(e.linePos?.[0].line ?? 0)}: ${e.message.split('\n')[0]}`));
  // Unquoted times stay strings: the YAML 1.2 core schema has no timestamp type.
  return validateApiKeyFile(doc.toJS(), source);
}

/** The text of a key file (YAML, one block per key). */
export function formatApiKeyFile(file: ApiKeyFile): string {
  return `# MatrixInfer gateway API keys: SHA-256 hashes only (docs/security.md). Edit with \`mi keys\`.\n${toYaml({ format: file.format, keys: file.keys })}`;
}
