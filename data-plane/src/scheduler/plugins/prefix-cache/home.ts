// Home of a brand-new prefix: the endpoint every gateway replica would pick for a prompt that no
// endpoint is known to hold, computed without shared state (rendezvous hashing of the prompt's
// leading block hash over endpoint ids), so that a burst of new prefixes reaching several
// replicas at once lands on one engine per prefix instead of one per replica. README.md.
import type { Hasher } from '../../hasher.js';

export interface HomeRule {
  /** The home is preferred only while its in-flight count is at most this far above the coldest's. */
  maxExtraInFlight: number;
  /** The home is keyed by the chained hash of this many leading blocks (fewer if the prompt is shorter). */
  blocks: number;
}

export const DEFAULT_HOME_RULE: HomeRule = { maxExtraInFlight: 2, blocks: 4 };

/**
 * Index (into `ids`) of the home of the prefix named by `key`: the endpoint with the highest
 * rendezvous weight among those `eligible` (all when omitted); -1 when none is. Every replica
 * that sees the same ids computes the same order; removing an endpoint moves only the prefixes
 * whose home it was.
 */
export function homeIndex(hasher: Hasher, key: bigint, ids: readonly string[], eligible?: (i: number) => boolean): number {
  let best = -1;
  let bestW = -1n;
  ids.forEach((id, i) => {
    if (eligible && !eligible(i)) return;
    const w = hasher.h64(id, key);
    // Ties (practically impossible) fall to the smaller id so every replica agrees.
    if (w > bestW || (w === bestW && id < ids[best])) {
      best = i;
      bestW = w;
    }
  });
  return best;
}

/** The key of a prompt's home: the chained hash of its first `blocks` blocks (undefined when it has none). */
export function homeKey(hashes: readonly bigint[], blocks: number): bigint | undefined {
  if (hashes.length === 0) return undefined;
  return hashes[Math.min(blocks, hashes.length) - 1];
}

/** True when a home with `inFlight` requests is close enough to the coldest (`minInFlight`) to be preferred. */
export function homeInBand(inFlight: number, minInFlight: number, rule: HomeRule): boolean {
  return inFlight - minInFlight <= rule.maxExtraInFlight;
}
