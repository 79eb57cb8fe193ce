// round-robin scorer: each request moves a cursor one step over the endpoints sorted by id; the
// endpoint under the cursor scores 1 and the others descend in rotation order (failover order).
// The cursor is per scheduler instance (per gateway replica), reset on reconfiguration.
import type { PluginSpec } from '../../registry.js';
import type { EndpointView, Scorer } from '../../types.js';

/** Rotation scores for cursor position `turn`: endpoint k in id order gets 1 - ((k - turn) mod n)/n. */
export function roundRobinScores(endpoints: readonly EndpointView[], turn: number): number[] {
  const n = endpoints.length;
  const order = endpoints.map((e, i) => ({ id: e.id, i })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const scores = new Array<number>(n).fill(0);
  const start = ((turn % n) + n) % n;
  order.forEach((o, k) => {
    const rank = (k - start + n) % n;
    scores[o.i] = 1 - rank / n;
  });
  return scores;
}

/** Creates a round-robin scorer with its own cursor. */
export function createRoundRobin(): Scorer {
  let turn = 0;
  return {
    name: 'round-robin',
    score(_req, endpoints) {
      if (endpoints.length === 0) return [];
      return roundRobinScores(endpoints, turn++);
    },
  };
}

/** Registry entry of the round-robin scorer (name, params schema, factory). */
export const roundRobin: PluginSpec<'scorer', Record<string, never>> = {
  kind: 'scorer',
  name: 'round-robin',
  description: 'rotates over endpoints in id order, one step per request',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  create: () => createRoundRobin(),
};
