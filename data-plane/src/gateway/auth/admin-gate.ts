// Who may read the admin endpoints (/debug/*, and /metrics when protected): the admin token
// (--admin-token / MI_GATEWAY_ADMIN_TOKEN) or a key marked `admin: true`, as a Bearer token.
// With neither configured, they stay open on a loopback listener (as before keys existed) and
// are off on any other address. Pure: the caller passes the header and the time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { authenticate, bearerToken } from './authenticate.js';
import type { KeyStore } from './key-store.js';

/** Outcome for an admin request: served, 401 (credential needed), or 404 (turned off). */
export type AdminAccess = 'allow' | 'unauthorized' | 'off';

/** What the gate knows; built once per gateway. */
export interface AdminPolicy {
  /** SHA-256 of the admin token (null: none configured). */
  tokenDigest: Buffer | null;
  /** The gateway listens only on a loopback address (and the operator did not turn the loopback rule off). */
  loopback: boolean;
}

/** SHA-256 digest of a token: compared in constant time against the configured one. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Whether `host` (the listen address) can only be reached from this machine. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  const v4 = host.toLowerCase().startsWith('::ffff:') ? host.slice(7) : host;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** Decides one admin request; `store` is the key file in force (null: no --api-keys). */
export function adminAccess(policy: AdminPolicy, store: KeyStore | null, authorization: string | undefined, nowMs: number): AdminAccess {
  const configured = policy.tokenDigest !== null || store?.hasAdminKey === true;
  if (!configured) return policy.loopback ? 'allow' : 'off';
  const token = bearerToken(authorization);
  if (token === null) return 'unauthorized';
  // Equal-length digests: timingSafeEqual never sees the token's length.
  if (policy.tokenDigest !== null && timingSafeEqual(tokenDigest(token), policy.tokenDigest)) return 'allow';
  if (store !== null) {
    const a = authenticate(store, authorization, nowMs);
    if (a.ok && a.key.admin) return 'allow';
  }
  return 'unauthorized';
}
