// random scorer: an independent uniform score per endpoint drawn from the request's own random
// number, so the order is random yet reproducible. The baseline every other plugin must beat.
import type { PluginSpec } from '../../registry.js';
import { rngFrom } from '../../rng.js';
import type { RequestInfo, Scorer } from '../../types.js';

/** One uniform draw in [0,1) per endpoint, derived from req.random. */
export function randomScores(req: RequestInfo, n: number): number[] {
  const rng = rngFrom(req.random, 1);
  return Array.from({ length: n }, () => rng());
}

/** Registry entry of the random scorer (name, params schema, factory). */
export const random: PluginSpec<'scorer', Record<string, never>> = {
  kind: 'scorer',
  name: 'random',
  description: 'uniform random score per endpoint, from the request random draw',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  create(): Scorer {
    return { name: 'random', score: (req, endpoints) => randomScores(req, endpoints.length) };
  },
};
