import { expect } from 'chai';
import { createKvCache, type KvCache } from './kv-cache.js';
import { createRng } from './rng.js';

// The pool as first written (free queue = insertion-ordered Map): the linked-list pool must hand
// out the same blocks in the same order and report the same cache hits for any operation sequence.
function referenceKvCache(totalBlocks: number): Omit<KvCache, 'totalBlocks' | 'blockSize' | 'allocateInto'> {
  const refCount = new Int32Array(totalBlocks);
  const blockHash = new Array<number>(totalBlocks).fill(-1);
  const cached = new Map<number, number>();
  const free = new Map<number, true>();
  for (let b = 0; b < totalBlocks; b++) free.set(b, true);
  const dropHash = (b: number): void => {
    const h = blockHash[b];
    if (h >= 0 && cached.get(h) === b) cached.delete(h);
    blockHash[b] = -1;
  };
  return {
    freeCount: () => free.size,
    usedCount: () => totalBlocks - free.size,
    match(hashes, limit) {
      let hits = 0;
      let hitsInFreeQueue = 0;
      while (hits < Math.min(limit, hashes.length)) {
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
        const b = cached.get(hashes[i])!;
        if (refCount[b] === 0) free.delete(b);
        refCount[b]++;
        out.push(b);
      }
      return out;
    },
    allocate(n) {
      if (n > free.size) return null;
      const out = [...free.keys()].slice(0, n);
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

describe('sim KV cache pool', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`matches the Map-based pool over 5000 random operations (seed ${seed})`, () => {
      const rng = createRng(seed);
      const pick = (n: number): number => Math.floor(rng.next() * n);
      const kv = createKvCache(24, 16);
      const ref = referenceKvCache(24);
      const held: number[][] = [];
      for (let step = 0; step < 5000; step++) {
        const op = pick(10);
        if (op < 3) {
          const n = 1 + pick(6);
          const a = kv.allocate(n);
          expect(a, `step ${step} allocate ${n}`).to.deep.equal(ref.allocate(n));
          if (a) held.push(a);
        } else if (op < 5 && held.length > 0) {
          const blocks = held[pick(held.length)];
          const h = 100 + pick(30);
          const b = blocks[pick(blocks.length)];
          kv.register(b, h);
          ref.register(b, h);
        } else if (op < 8 && held.length > 0) {
          const [blocks] = held.splice(pick(held.length), 1);
          kv.release(blocks);
          ref.release(blocks);
        } else if (op < 9) {
          const hashes = Array.from({ length: 1 + pick(4) }, () => 100 + pick(30));
          const m = kv.match(hashes, hashes.length);
          expect(m, `step ${step} match`).to.deep.equal(ref.match(hashes, hashes.length));
          if (m.hits > 0) {
            const got = kv.acquireCached(hashes, m.hits);
            expect(got).to.deep.equal(ref.acquireCached(hashes, m.hits));
            held.push(got);
          }
        } else if (pick(20) === 0) {
          kv.flush();
          ref.flush();
        }
        expect(kv.freeCount(), `step ${step} free`).to.equal(ref.freeCount());
        expect(kv.usedCount()).to.equal(ref.usedCount());
      }
    });
  }

  it('allocateInto appends to the given array and takes nothing when too few blocks are free', () => {
    const kv = createKvCache(3, 16);
    const out = [7];
    expect(kv.allocateInto(2, out)).to.equal(true);
    expect(out).to.deep.equal([7, 0, 1]);
    expect(kv.allocateInto(2, out)).to.equal(false);
    expect(out).to.deep.equal([7, 0, 1]);
    expect(kv.freeCount()).to.equal(1);
  });
});
