// session-affinity scorer: requests carrying the same session header value go to the same
// endpoint. Rendezvous (highest-random-weight) hashing of (value, endpoint id): removing an
// endpoint moves only its own sessions, adding one takes ~1/n of them; every gateway replica
// computes the same answer without sharing state.
import type { Hasher } from '../../hasher.js';
import type { PluginSpec } from '../../registry.js';
import type { EndpointView, RequestInfo, Scorer } from '../../types.js';

export interface SessionAffinityParams {
  /** Request header carrying the session key (case-insensitive). */
  header?: string;
}

/** The header's value as one string ('' when absent). */
function headerValue(req: RequestInfo, name: string): string {
  const v = req.headers[name];
  if (Array.isArray(v)) return v[0] ?? '';
  return v ?? '';
}

/** 1 for the endpoint with the highest rendezvous weight for `key`, 0 for the rest; all 0 without a key. */
export function sessionAffinityScores(hasher: Hasher, key: string, endpoints: readonly EndpointView[]): number[] {
  const scores = new Array<number>(endpoints.length).fill(0);
  if (key === '' || endpoints.length === 0) return scores;
  const seed = hasher.h64(key, 0x5e55n);
  let best = -1;
  let bestW = -1n;
  endpoints.forEach((e, i) => {
    const w = hasher.h64(e.id, seed);
    // Ties (practically impossible) fall to the smaller id so every replica agrees.
    if (w > bestW || (w === bestW && e.id < endpoints[best].id)) {
      best = i;
      bestW = w;
    }
  });
  scores[best] = 1;
  return scores;
}

/** Registry entry of the session-affinity scorer (name, params schema, factory). */
export const sessionAffinity: PluginSpec<'scorer', SessionAffinityParams> = {
  kind: 'scorer',
  name: 'session-affinity',
  description: 'same session header value, same endpoint (rendezvous hashing over endpoint ids)',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { header: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9-_]+$' } },
  },
  create(params, ctx): Scorer {
    const header = (params.header ?? 'x-session-id').toLowerCase();
    return {
      name: 'session-affinity',
      score: (req, endpoints) => sessionAffinityScores(ctx.hasher, headerValue(req, header), endpoints),
    };
  },
};
