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
  /** Like allocate, appending the blocks to `out`; false (and nothing taken) if fewer than `n` are free. */
  allocateInto(n: number, out: number[]): boolean;
  /** Records that a now-full block holds the content identified by `hash`. */
  register(block: number, hash: number): void;
  /** Drops one reference per block; unreferenced blocks join the free queue, last block first. */
  release(blocks: readonly number[]): void;
  /** Forgets every cached hash of unreferenced blocks (SGLang /flush_cache). */
  flush(): void;
}

const NONE = -1;

/** Creates an empty KV pool of `totalBlocks` blocks of `blockSize` tokens. */
export function createKvCache(totalBlocks: number, blockSize: number): KvCache {
  const refCount = new Int32Array(totalBlocks);
  const blockHash: number[] = new Array<number>(totalBlocks).fill(-1);
  const cached = new Map<number, number>();
  // The free queue (LRU: head = next block to hand out, released blocks join at the tail) is a
  // doubly linked list threaded through two arrays: O(1) to pop, append and unlink from the
  // middle (a cache hit on a free block). An insertion-ordered Map did the same, but handing out
  // its first key walks over every deleted slot before it, which grew with the pool size.
  const next = new Int32Array(totalBlocks);
  const prev = new Int32Array(totalBlocks);
  const inFree = new Uint8Array(totalBlocks);
  let head = NONE;
  let tail = NONE;
  let freeSize = 0;

  const append = (b: number): void => {
    prev[b] = tail;
    next[b] = NONE;
    if (tail === NONE) head = b;
    else next[tail] = b;
    tail = b;
    inFree[b] = 1;
    freeSize++;
  };
  const unlink = (b: number): void => {
    const p = prev[b];
    const n = next[b];
    if (p === NONE) head = n;
    else next[p] = n;
    if (n === NONE) tail = p;
    else prev[n] = p;
    inFree[b] = 0;
    freeSize--;
  };
  for (let b = 0; b < totalBlocks; b++) append(b);

  const dropHash = (b: number): void => {
    const h = blockHash[b];
    if (h >= 0 && cached.get(h) === b) cached.delete(h);
    blockHash[b] = -1;
  };

  const allocateInto = (n: number, out: number[]): boolean => {
    if (n > freeSize) return false;
    for (let i = 0; i < n; i++) {
      const b = head;
      unlink(b);
      dropHash(b);
      refCount[b] = 1;
      out.push(b);
    }
    return true;
  };

  return {
    totalBlocks,
    blockSize,
    freeCount: () => freeSize,
    usedCount: () => totalBlocks - freeSize,
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
        if (refCount[b] === 0) unlink(b);
        refCount[b]++;
        out.push(b);
      }
      return out;
    },
    allocate(n) {
      const out: number[] = [];
      return allocateInto(n, out) ? out : null;
    },
    allocateInto,
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
        if (refCount[b] === 0 && inFree[b] === 0) append(b);
      }
    },
    flush() {
      for (let b = head; b !== NONE; b = next[b]) dropHash(b);
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
