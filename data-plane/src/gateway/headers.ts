// Header rewriting between client and upstream: hop-by-hop headers never cross the proxy
// (RFC 9110 §7.6.1), and the gateway adds its own identification headers.
import type { IncomingHttpHeaders } from 'node:http';
import type { OutgoingHeaders } from './upstream.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Request headers the proxy sets itself. */
const REPLACED_UPSTREAM = new Set(['host', 'content-length', 'x-request-id', 'expect']);

/** Header names listed in a Connection header (also hop-by-hop). */
function connectionListed(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null;
  const v = Array.isArray(value) ? value.join(',') : value;
  if (v === 'keep-alive' || v === 'close') return null; // the common case, nothing extra
  const out = new Set<string>();
  for (const t of v.split(',')) {
    const n = t.trim().toLowerCase();
    if (n) out.add(n);
  }
  return out;
}

/** Headers for the upstream request: client headers minus hop-by-hop, plus id and length. */
export function upstreamHeaders(client: IncomingHttpHeaders, requestId: string, bodyLength: number): OutgoingHeaders {
  const listed = connectionListed(client.connection);
  const out: OutgoingHeaders = {};
  for (const name in client) {
    if (HOP_BY_HOP.has(name) || REPLACED_UPSTREAM.has(name) || (listed !== null && listed.has(name))) continue;
    const v = client[name];
    if (v !== undefined) out[name] = v;
  }
  out['x-request-id'] = requestId;
  out['content-length'] = String(bodyLength);
  return out;
}

/** Client response headers as flat name/value pairs: upstream raw headers minus hop-by-hop, plus x-request-id, x-mi-endpoint, x-mi-route. */
export function clientHeaders(raw: ReadonlyArray<Buffer | string>, requestId: string, endpoint: string, route: string): string[] {
  // One pass over the names; names a Connection header lists (rare) are taken out afterwards.
  let out: string[] = [];
  let listed: Set<string> | null = null;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toString('latin1').toLowerCase();
    if (name === 'connection') listed = connectionListed(raw[i + 1].toString());
    if (HOP_BY_HOP.has(name) || name === 'x-request-id') continue;
    out.push(name, raw[i + 1].toString());
  }
  if (listed !== null) {
    const kept: string[] = [];
    for (let i = 0; i < out.length; i += 2) if (!listed.has(out[i])) kept.push(out[i], out[i + 1]);
    out = kept;
  }
  out.push('x-request-id', requestId, 'x-mi-endpoint', endpoint, 'x-mi-route', route);
  return out;
}

/** Appends the key's x-ratelimit-* headers to a flat header list (an engine's own of that name are replaced). */
export function withRateHeaders(head: string[], rate: Readonly<Record<string, string>>): void {
  for (let i = head.length - 2; i >= 0; i -= 2) if (head[i].startsWith('x-ratelimit-')) head.splice(i, 2);
  for (const name in rate) head.push(name, rate[name]);
}
