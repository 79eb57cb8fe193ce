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

/** Hashes of the full leading blocks of `text` (a trailing partial block is ignored). */
export function promptBlockHashes(hasher: Hasher, model: string, text: string, p: BlockParams): bigint[] {
  const n = Math.min(Math.floor(text.length / p.blockChars), p.maxBlocks);
  const out = new Array<bigint>(n);
  let prev = hasher.h64(model, 0n);
  for (let i = 0; i < n; i++) {
    prev = hasher.h64(text.slice(i * p.blockChars, (i + 1) * p.blockChars), prev);
    out[i] = prev;
  }
  return out;
}
