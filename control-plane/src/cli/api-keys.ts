// Pure core of `mi keys`: add a key to a key file (the key is returned once, only its hash is
// kept), revoke one, and list them. Time and randomness come in; file I/O is commands/keys.ts's.
import { API_KEY_PRIORITIES, hashApiKey, makeApiKey, parseDurationMs, validateApiKeyFile, type ApiKeyFile, type ApiKeyPriority, type ApiKeyRecord } from '@matrixinfer/schemas';
import { BadArgumentError, SubmitError } from '../api/errors.js';
import { renderTable } from './table.js';

/** `mi keys revoke` of an id the file does not hold. */
export class KeyNotFoundError extends SubmitError {
  constructor(id: string, file: string) {
    super('MI_ERR_NOT_FOUND', `no key "${id}" in ${file}`);
    this.name = 'KeyNotFoundError';
  }
}

/** What `mi keys create` was asked for. */
export interface CreateKeyInput {
  id: string;
  models: string[];
  rpm?: number;
  tpm?: number;
  priority?: string;
  /** ISO 8601 time, or a span from now: `90d`, `12h`, `30m`. */
  expires?: string;
  admin?: boolean;
}

const DAYS = /^([0-9]+)d$/;

/** The ISO time of an --expires value: an ISO time as given, or now plus `Nd` / a duration. */
export function expiresAt(text: string, nowMs: number): string {
  const days = DAYS.exec(text);
  const spanMs = days !== null ? Number(days[1]) * 86_400_000 : parseDurationMs(text);
  if (spanMs !== undefined) {
    if (spanMs <= 0) throw new BadArgumentError(`--expires ${text}: must be in the future`);
    return new Date(nowMs + spanMs).toISOString().replace(/\.000Z$/, 'Z');
  }
  if (Number.isNaN(Date.parse(text))) throw new BadArgumentError(`--expires ${text}: not an ISO 8601 time (2027-01-31T00:00:00Z) nor a span (90d, 12h)`);
  return text;
}

/** An empty key file. */
export function emptyKeyFile(): ApiKeyFile {
  return { format: 'mi.apikeys/v1', keys: [] };
}

/** Adds a new key; returns the new file and the key (shown once, never stored). */
export function createKey(file: ApiKeyFile, input: CreateKeyInput, nowMs: number, randomBytes: (n: number) => Uint8Array, source: string): { file: ApiKeyFile; key: string } {
  if (file.keys.some((k) => k.id === input.id)) throw new BadArgumentError(`${source} already holds a key "${input.id}" (revoke it first, or choose another name)`);
  if (input.priority !== undefined && !(API_KEY_PRIORITIES as readonly string[]).includes(input.priority)) throw new BadArgumentError(`--priority must be one of ${API_KEY_PRIORITIES.join(', ')} (got ${input.priority})`);
  const key = makeApiKey(randomBytes);
  const record: ApiKeyRecord = { id: input.id, sha256: hashApiKey(key), models: input.models };
  if (input.rpm !== undefined) record.rpm = input.rpm;
  if (input.tpm !== undefined) record.tpm = input.tpm;
  if (input.priority !== undefined) record.priority = input.priority as ApiKeyPriority;
  if (input.expires !== undefined) record.expires = expiresAt(input.expires, nowMs);
  if (input.admin === true) record.admin = true;
  record.created = new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  // The same validation the gateway applies: a file mi keys writes always loads.
  const next = validateApiKeyFile({ format: file.format, keys: [...file.keys, record] }, source);
  return { file: next, key };
}

/** The file without key `id`; throws KeyNotFoundError when it holds none. */
export function revokeKey(file: ApiKeyFile, id: string, source: string): ApiKeyFile {
  if (!file.keys.some((k) => k.id === id)) throw new KeyNotFoundError(id, source);
  return { format: file.format, keys: file.keys.filter((k) => k.id !== id) };
}

/** The `mi keys list` table: no key and no hash, only what each key may do. */
export function keyTable(file: ApiKeyFile, nowMs: number): string {
  const rows = file.keys.map((k) => [
    k.id,
    k.models.join(','),
    k.rpm === undefined ? '-' : String(k.rpm),
    k.tpm === undefined ? '-' : String(k.tpm),
    k.priority ?? '-',
    k.expires ?? '-',
    k.admin === true ? 'yes' : 'no',
    k.expires !== undefined && Date.parse(k.expires) <= nowMs ? 'expired' : 'active',
  ]);
  return renderTable(['ID', 'MODELS', 'RPM', 'TPM', 'PRIORITY', 'EXPIRES', 'ADMIN', 'STATUS'], rows);
}
