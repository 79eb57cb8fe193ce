// What a request "generates": deterministic filler text. The generator is seeded from the
// simulator seed and the prompt, so the same prompt gets the same answer (like greedy decoding).
// Each filler word is at most 3 letters plus a leading space, i.e. exactly one token of our
// tokenizer, and every ~6-13 words a "." token ends a sentence; re-tokenizing the output text
// therefore gives the same token count the usage reports.
//
// Length: without ignore_eos a request stops ("stop") after a sampled natural length, uniform
// in [mean/2, 3*mean/2] tokens, unless max_tokens comes first ("length").

import { hashInts } from './hash.js';
import { createRng } from './rng.js';
import { decodeToken, tokenize } from './tokenizer.js';

const WORDS = [
  'the', 'of', 'and', 'to', 'a', 'in', 'is', 'it', 'you', 'for', 'on', 'was', 'as', 'are', 'be', 'at', 'one',
  'or', 'by', 'not', 'but', 'all', 'can', 'had', 'her', 'we', 'an', 'has', 'two', 'new', 'way', 'use', 'may',
  'day', 'get', 'see', 'now', 'old', 'how', 'its', 'who', 'did', 'say', 'set', 'end', 'run', 'key', 'map',
];
const WORD_IDS = WORDS.map((w) => tokenize(` ${w}`)[0]);
const PERIOD_ID = tokenize('.')[0];

/** The deterministic output of one request. */
export interface OutputPlan {
  /** Natural length: the request stops (finish_reason "stop") after this many tokens. */
  stopAfterTokens: number;
  /** Token id of generated token `index`. */
  tokenAt(index: number): number;
}

/** Plans the output for `promptTokens` under simulator seed `seed`. */
export function planOutput(seed: number, promptTokens: readonly number[], meanOutputTokens: number): OutputPlan {
  const rng = createRng(hashInts(seed, promptTokens, 0, promptTokens.length) % 4294967296);
  const lo = Math.max(1, Math.floor(meanOutputTokens / 2));
  const hi = Math.max(lo, Math.ceil((3 * meanOutputTokens) / 2));
  const stopAfterTokens = lo + Math.floor(rng.next() * (hi - lo + 1));
  const ids: number[] = [];
  let untilPeriod = 6 + Math.floor(rng.next() * 8);
  return {
    stopAfterTokens,
    tokenAt(index) {
      while (ids.length <= index) {
        if (untilPeriod === 0) {
          ids.push(PERIOD_ID);
          untilPeriod = 6 + Math.floor(rng.next() * 8);
        } else {
          ids.push(WORD_IDS[Math.floor(rng.next() * WORD_IDS.length)]);
          untilPeriod--;
        }
      }
      return ids[index];
    },
  };
}

// Outputs draw from ~50 token ids, so their text and its JSON string literal are cached (bounded,
// in case a caller decodes arbitrary ids).
const MAX_CACHED_PIECES = 4096;
const pieceText = new Map<number, string>();
const pieceJson = new Map<number, string>();

/** The text of token `id` (decodeToken, cached). */
export function tokenText(id: number): string {
  let t = pieceText.get(id);
  if (t === undefined) {
    t = decodeToken(id);
    if (pieceText.size < MAX_CACHED_PIECES) pieceText.set(id, t);
  }
  return t;
}

/** JSON.stringify(tokenText(id)), cached. */
export function tokenTextJson(id: number): string {
  let j = pieceJson.get(id);
  if (j === undefined) {
    j = JSON.stringify(tokenText(id));
    if (pieceJson.size < MAX_CACHED_PIECES) pieceJson.set(id, j);
  }
  return j;
}
