// KV block pool with a prefix cache: full blocks keep their chained hash after their request
// ends and can be reused by a later request with the same prefix until they are evicted (LRU:
// the free queue hands out its oldest block first and the block's hash is dropped then).

import { hashInts, hashString } from './hash.js';

/** The KV block pool of one engine. Block ids are 0..totalBlocks-1. */
export interface KvCache {
  readonly totalBlocks: number;
  readonly blockSize: number;
  /** Blocks that can be handed out now (unreferenced, cached or not). */
  freeCount(): number;
  /** Blocks referenced by at least one running request. */
  usedCount(): number;
  /** How many leading hashes are cached, and how many of those sit in the free queue. */
  match(hashes: readonly number[], limit: number): { hits: number; hitsInFreeQueue: number };
  /** Takes a reference on the blocks of the first `n` hashes (which `match` said are cached). */
  acquireCached(hashes: readonly number[], n: number): number[];
  /** Takes `n` free blocks (evicting their cached hashes); null (and nothing taken) if fewer are free. */
  allocate(n: number): number[] | null;
  /** Records that a now-full block holds the content identified by `hash`. */
  register(block: number, hash: number): void;
  /** Drops one reference per block; unreferenced blocks join the free queue, last block first. */
  release(blocks: readonly number[]): void;
  /** Forgets every cached hash of unreferenced blocks (SGLang /flush_cache). */
  flush(): void;
}

/** Creates an empty KV pool of `totalBlocks` blocks of `blockSize` tokens. */
export function createKvCache(totalBlocks: number, blockSize: number): KvCache {
  const refCount = new Int32Array(totalBlocks);
  const blockHash: number[] = new Array<number>(totalBlocks).fill(-1);
  const cached = new Map<number, number>();
  // Insertion-ordered set used as an LRU queue: first key = next block to hand out.
  const free = new Map<number, true>();
  for (let b = 0; b < totalBlocks; b++) free.set(b, true);

  const dropHash = (b: number): void => {
    const h = blockHash[b];
    if (h >= 0 && cached.get(h) === b) cached.delete(h);
    blockHash[b] = -1;
  };

  return {
    totalBlocks,
    blockSize,
    freeCount: () => free.size,
    usedCount: () => totalBlocks - free.size,
    match(hashes, limit) {
      let hits = 0;
      let hitsInFreeQueue = 0;
      const n = Math.min(limit, hashes.length);
      while (hits < n) {
        const b = cached.get(hashes[hits]);
        if (b === undefined) break;
        if (refCount[b] === 0) hitsInFreeQueue++;
        hits++;
      }
      return { hits, hitsInFreeQueue };
    },
    acquireCached(hashes, n) {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const b = cached.get(hashes[i]);
        if (b === undefined) throw new Error(`block hash ${hashes[i]} is not cached`);
        if (refCount[b] === 0) free.delete(b);
        refCount[b]++;
        out.push(b);
      }
      return out;
    },
    allocate(n) {
      if (n > free.size) return null;
      const out: number[] = [];
      for (const b of free.keys()) {
        if (out.length === n) break;
        out.push(b);
      }
      for (const b of out) {
        free.delete(b);
        dropHash(b);
        refCount[b] = 1;
      }
      return out;
    },
    register(block, hash) {
      if (blockHash[block] === hash) return;
      dropHash(block);
      blockHash[block] = hash;
      // A second copy of already-cached content stays unshared; the first copy keeps the hash.
      if (!cached.has(hash)) cached.set(hash, block);
    },
    release(blocks) {
      for (let i = blocks.length - 1; i >= 0; i--) {
        const b = blocks[i];
        if (refCount[b] <= 0) continue;
        refCount[b]--;
        if (refCount[b] === 0) free.set(b, true);
      }
    },
    flush() {
      for (const b of free.keys()) dropHash(b);
    },
  };
}

/** Seed of a request's block-hash chain: the served model or LoRA adapter name, so different adapters never share KV. */
export function chainSeed(cacheSalt: string): number {
  return hashString(cacheSalt);
}

/** Hash of full block `index` of `tokens`, chained on the previous block's hash (or the seed). */
export function blockHash(parent: number, tokens: ArrayLike<number>, index: number, blockSize: number): number {
  return hashInts(parent, tokens, index * blockSize, (index + 1) * blockSize);
}

/** Chained hashes of every full block of `tokens` (a trailing partial block has none). */
export function blockHashes(seed: number, tokens: ArrayLike<number>, blockSize: number): number[] {
  const n = Math.floor(tokens.length / blockSize);
  const out: number[] = [];
  let parent = seed;
  for (let i = 0; i < n; i++) {
    parent = blockHash(parent, tokens, i, blockSize);
    out.push(parent);
  }
  return out;
}
