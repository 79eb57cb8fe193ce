// The gateway's in-memory view of an API key file: records compiled for the hot path (scope
// matcher, expiry in ms, band index) and indexed by the key's SHA-256, so a request's key is
// found by hashing what it sent; raw keys are never stored or compared.
import { API_KEY_PRIORITIES, hashApiKey, type ApiKeyFile, type ApiKeyRecord } from '@matrixinfer/schemas';
import { compileScope, type ModelScope } from './scope.js';

/** One key as the gateway uses it. */
export interface ApiKey {
  readonly id: string;
  readonly allows: ModelScope;
  /** Requests per minute (undefined: unlimited). */
  readonly rpm: number | undefined;
  /** Tokens per minute, prompt plus completion (undefined: unlimited). */
  readonly tpm: number | undefined;
  /** Band index (0 high, 1 normal, 2 low) or undefined when the key carries none. */
  readonly priority: number | undefined;
  /** Epoch ms after which the key is refused (Infinity: never). */
  readonly expiresMs: number;
  readonly admin: boolean;
}

/** Keys by hash; immutable, swapped whole on reload. */
export interface KeyStore {
  readonly size: number;
  /** Whether any key may read admin endpoints. */
  readonly hasAdminKey: boolean;
  /** The key whose SHA-256 hex is `hash`, if any. */
  byHash(hash: string): ApiKey | undefined;
  /** The key named `id`, if any (peers' consumption is sent by id). */
  byId(id: string): ApiKey | undefined;
  /** Every key (ids for /debug and metrics). */
  keys(): readonly ApiKey[];
}

function compileKey(r: ApiKeyRecord): ApiKey {
  return {
    id: r.id,
    allows: compileScope(r.models),
    rpm: r.rpm,
    tpm: r.tpm,
    priority: r.priority === undefined ? undefined : API_KEY_PRIORITIES.indexOf(r.priority),
    expiresMs: r.expires === undefined ? Infinity : Date.parse(r.expires),
    admin: r.admin === true,
  };
}

/** Compiles a validated key file into a store. */
export function compileKeyStore(file: ApiKeyFile): KeyStore {
  const map = new Map<string, ApiKey>();
  const ids = new Map<string, ApiKey>();
  const all: ApiKey[] = [];
  for (const r of file.keys) {
    const k = compileKey(r);
    map.set(r.sha256, k);
    ids.set(r.id, k);
    all.push(k);
  }
  const hasAdminKey = all.some((k) => k.admin);
  return { size: all.length, hasAdminKey, byHash: (h) => map.get(h), byId: (id) => ids.get(id), keys: () => all };
}

/** The store's key for a raw key string, by its hash. */
export function lookupKey(store: KeyStore, token: string): ApiKey | undefined {
  return store.byHash(hashApiKey(token));
}
