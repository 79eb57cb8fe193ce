// Approximate prefix-cache placements: per endpoint, an LRU of the block hashes we believe the
// engine holds (no engine events needed). Records come from this gateway's own successful
// requests and, through the gateway's NATS wiring, from peer gateways, so replicas decide as one.
import { LRUCache } from 'lru-cache';

/** Engine KV capacity assumed when an endpoint does not report one (vLLM-like default). */
export const DEFAULT_CAPACITY_BLOCKS = 31_250;

/** One placement: `endpointId` now holds the chained `blockHashes` (leading block first). */
export interface Placement {
  endpointId: string;
  blockHashes: readonly bigint[];
  /** Model the hashes were seeded with (informational; hashes are already model-specific). */
  model?: string;
  /** Engine KV capacity in blocks, when known by the recorder. */
  capacityBlocks?: number;
}

export interface RecordOptions {
  /** `local` placements are published through `onPlacement`; `peer` ones are not (no echo). */
  source?: 'local' | 'peer';
  /** Engine KV capacity in blocks (sizes the endpoint's LRU). */
  capacityBlocks?: number;
  model?: string;
}

/** The prefix index plugins read and write; the gateway feeds it peers' placements. */
export interface PrefixIndex {
  /** Number of leading `hashes` held by the endpoint; stops at the first block it lacks. */
  matchLength(endpointId: string, hashes: readonly bigint[]): number;
  /** Records that the endpoint holds `hashes` (the leading block becomes most recently used). */
  recordPlacement(endpointId: string, hashes: readonly bigint[], opts?: RecordOptions): void;
  /** Forgets endpoints whose id is not in `ids` (call when the routing table changes). */
  retain(ids: Iterable<string>): void;
  /** Blocks currently held for an endpoint (0 when unknown). */
  size(endpointId: string): number;
}

export interface PrefixIndexOptions {
  defaultCapacityBlocks?: number;
  /**
   * Called after a local placement that peers should hear of, e.g. to publish it over NATS:
   * when it adds blocks the endpoint was not known to hold, or when the same placement was last
   * published `republishAfterMs` ago or more (so peers' LRUs see it is still in use).
   */
  onPlacement?: (placement: Placement) => void;
  /** Minimum interval between publications of an unchanged placement (default 10 s). */
  republishAfterMs?: number;
  /** Wall clock in ms for the republish interval (Date.now by default). */
  nowMs?: () => number;
}

/** Placements remembered for republish throttling (bounded; older ones simply publish again). */
const PUBLISHED_MEMORY = 8192;

/** Creates an in-memory prefix index with one LRU per endpoint. */
export function createPrefixIndex(opts: PrefixIndexOptions = {}): PrefixIndex {
  const defaultCapacity = opts.defaultCapacityBlocks ?? DEFAULT_CAPACITY_BLOCKS;
  const byEndpoint = new Map<string, LRUCache<bigint, true>>();
  const republishAfterMs = opts.republishAfterMs ?? 10_000;
  const nowMs = opts.nowMs ?? Date.now;
  // Last publication time by endpoint and last block hash (which names the whole prefix).
  const publishedAt = new LRUCache<string, number>({ max: PUBLISHED_MEMORY });

  function matchLength(endpointId: string, hashes: readonly bigint[]): number {
    const lru = byEndpoint.get(endpointId);
    if (!lru) return 0;
    let n = 0;
    // `has` does not refresh recency: looking is not using.
    while (n < hashes.length && lru.has(hashes[n])) n++;
    return n;
  }

  function lruFor(endpointId: string, capacity: number): LRUCache<bigint, true> {
    const existing = byEndpoint.get(endpointId);
    if (existing && existing.max === capacity) return existing;
    const next = new LRUCache<bigint, true>({ max: capacity });
    if (existing) {
      // Capacity changed (engine restarted with another size): keep what still fits, oldest first
      // so recency order is preserved.
      for (const k of existing.rkeys()) next.set(k, true);
    }
    byEndpoint.set(endpointId, next);
    return next;
  }

  return {
    matchLength,
    recordPlacement(endpointId, hashes, ro = {}) {
      const local = (ro.source ?? 'local') === 'local';
      const adds = local && opts.onPlacement !== undefined && matchLength(endpointId, hashes) < hashes.length;
      const known = byEndpoint.get(endpointId)?.max;
      const capacity = Math.max(1, Math.floor(ro.capacityBlocks ?? known ?? defaultCapacity));
      const lru = lruFor(endpointId, capacity);
      // Last block first, so the leading (most shared) block is the most recently used and is
      // evicted last, as engines evict leaves before roots.
      for (let i = hashes.length - 1; i >= 0; i--) lru.set(hashes[i], true);
      if (!local || !opts.onPlacement || hashes.length === 0) return;
      const key = `${endpointId}\u0000${hashes[hashes.length - 1].toString(16)}`;
      const now = nowMs();
      const last = publishedAt.get(key);
      if (adds || last === undefined || now - last >= republishAfterMs) {
        publishedAt.set(key, now);
        opts.onPlacement({ endpointId, blockHashes: hashes, model: ro.model, capacityBlocks: ro.capacityBlocks });
      }
    },
    retain(ids) {
      const keep = new Set(ids);
      for (const id of [...byEndpoint.keys()]) if (!keep.has(id)) byEndpoint.delete(id);
    },
    size(endpointId) {
      return byEndpoint.get(endpointId)?.size ?? 0;
    },
  };
}
