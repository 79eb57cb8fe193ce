// Prompt → chained block hashes, the keys of the approximate prefix index. Characters stand in
// for tokens (64 chars ≈ 16 tokens ≈ one engine KV block), so no tokenizer is needed; chaining
// makes each hash identify the whole prefix up to its block, seeded with the model name so two
// models never share entries.
import type { Hasher } from '../../hasher.js';

export interface BlockParams {
  /** Characters per block. */
  blockChars: number;
  /** At most this many leading blocks are hashed (bounds hot-path cost on long prompts). */
  maxBlocks: number;
}

export const DEFAULT_BLOCK_PARAMS: BlockParams = { blockChars: 64, maxBlocks: 256 };

/**
 * Hashes of the full leading blocks of `text` (a trailing partial block is ignored), chained from
 * `seed`, the model's hash (modelSeed(); callers on the hot path pass it memoized).
 */
export function promptBlockHashes(hasher: Hasher, model: string, text: string, p: BlockParams, seed?: bigint): bigint[] {
  const n = Math.min(Math.floor(text.length / p.blockChars), p.maxBlocks);
  if (n <= 0) return [];
  const out = new Array<bigint>(n);
  let prev = seed ?? modelSeed(hasher, model);
  for (let i = 0; i < n; i++) {
    prev = hasher.h64(text.slice(i * p.blockChars, (i + 1) * p.blockChars), prev);
    out[i] = prev;
  }
  return out;
}

/** The hash every prompt of `model` is chained from (prompts of different models never match). */
export function modelSeed(hasher: Hasher, model: string): bigint {
  return hasher.h64(model, 0n);
}

/** Model names remembered by a SeedMemo before it starts over (bounds memory with many names). */
const SEED_MEMO_SIZE = 1024;

/** Memoizes modelSeed per model name: one hash call saved per request. */
export class SeedMemo {
  private readonly seeds = new Map<string, bigint>();
  constructor(private readonly hasher: Hasher) {}

  /** modelSeed(hasher, model), from memory when seen before. */
  get(model: string): bigint {
    let s = this.seeds.get(model);
    if (s === undefined) {
      if (this.seeds.size >= SEED_MEMO_SIZE) this.seeds.clear();
      s = modelSeed(this.hasher, model);
      this.seeds.set(model, s);
    }
    return s;
  }
}
