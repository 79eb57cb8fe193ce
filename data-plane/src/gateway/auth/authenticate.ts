// Pure decisions of request authentication: which key a request carries (Authorization: Bearer),
// whether it may use a model, and which priority band it gets. I/O-free; time comes in as nowMs.
import { lookupKey, type ApiKey, type KeyStore } from './key-store.js';

/** Why a request has no usable key. */
export type AuthRefusal = 'missing' | 'unknown' | 'expired';

/** The key of a request, or why there is none. */
export type AuthOutcome = { ok: true; key: ApiKey } | { ok: false; reason: AuthRefusal };

const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;

/** The token of an `Authorization: Bearer <token>` header; null when absent or another scheme. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = BEARER.exec(header);
  return m === null ? null : m[1];
}

/** Finds the request's key in `store`: missing header, unknown or expired keys are refusals. */
export function authenticate(store: KeyStore, authorization: string | undefined, nowMs: number): AuthOutcome {
  const token = bearerToken(authorization);
  if (token === null) return { ok: false, reason: 'missing' };
  const key = lookupKey(store, token);
  if (key === undefined) return { ok: false, reason: 'unknown' };
  if (nowMs >= key.expiresMs) return { ok: false, reason: 'expired' };
  return { ok: true, key };
}

/**
 * Band of a request of `key` that asked for `asked` (the x-mi-priority band, undefined when it
 * sent none): a key's band is its default and its ceiling, so a header may only lower it.
 */
export function bandOf(key: ApiKey | null, asked: number | undefined, fallback: number): number {
  const own = key?.priority;
  if (own === undefined) return asked ?? fallback;
  return asked === undefined ? own : Math.max(asked, own);
}
