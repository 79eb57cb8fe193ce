// Header rewriting between client and upstream: hop-by-hop headers never cross the proxy
// (RFC 9110 §7.6.1), and the gateway adds its own identification headers.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
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

/** Headers for the client response: upstream headers minus hop-by-hop, plus x-request-id, x-mi-endpoint, x-mi-route. */
export function clientHeaders(
  upstream: Record<string, string | string[] | undefined>,
  requestId: string,
  endpoint: string,
  route: string,
): OutgoingHttpHeaders {
  const listed = connectionListed(upstream.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in upstream) {
    if (HOP_BY_HOP.has(name) || (listed !== null && listed.has(name))) continue;
    const v = upstream[name];
    if (v !== undefined) out[name] = v;
  }
  out['x-request-id'] = requestId;
  out['x-mi-endpoint'] = endpoint;
  out['x-mi-route'] = route;
  return out;
}
