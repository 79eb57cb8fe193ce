// The three workloads of the routing-quality benchmark (issue 6), as pure seeded generators of
// completion prompts sized in the simulator's tokens: every word is " " + three letters, which
// the simulator's tokenizer counts as exactly one token (checked with simTokenize at build).
import { simTokenize } from '@matrixinfer/engine-sim';
import { seededRng } from '../../src/support/random.js';

export type WorkloadName = 'shared' | 'random' | 'skewed';
export const WORKLOAD_NAMES: readonly WorkloadName[] = ['shared', 'random', 'skewed'];

/** Shape of each workload, from the issue. */
export const WORKLOAD_SHAPE = {
  groups: 32,
  systemTokens: 2000,
  questionTokens: 100,
  randomTokens: 500,
  outputTokens: 64,
  hotShare: 0.7,
} as const;

/** Seeded uniform [0,1) generator (mulberry32, shared with the e2e tests). */
export const createRandom = seededRng;

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** `n` one-token words (" xyz") drawn from `random`. */
export function words(random: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    s += ' ';
    for (let k = 0; k < 3; k++) s += LETTERS[Math.floor(random() * 26)];
  }
  return s;
}

/** A prompt source: `next()` gives the next request's prompt text. */
export interface PromptSource {
  next(): string;
}

/**
 * Prompts of `workload`; `salt` makes every run's texts distinct so engines' prefix caches and
 * gateways' prefix indexes never carry hits from one run into the next. `stream` draws other
 * questions (and random prompts) over the same system prompts: a phase that should find the
 * caches as an earlier phase of the same `salt` left them.
 */
export function createPromptSource(workload: WorkloadName, seed: number, salt: number, stream = 0): PromptSource {
  const random = createRandom(seed * 7919 + salt + stream * 7_368_787);
  const s = WORKLOAD_SHAPE;
  if (workload === 'random') return { next: () => words(random, s.randomTokens) };
  const systemRandom = createRandom(salt * 104729 + 17);
  const groups = Array.from({ length: s.groups }, () => words(systemRandom, s.systemTokens));
  return {
    next: () => {
      const g = workload === 'skewed' && random() < s.hotShare ? 0 : Math.floor(random() * s.groups);
      return groups[g] + words(random, s.questionTokens);
    },
  };
}

/** Number of simulator tokens of `text` (the engine's own count). */
export function tokenCount(text: string): number {
  return simTokenize(text).length;
}

/** Exponential inter-arrival gaps (seconds) of a Poisson process of `rate` per second. */
export function poissonGaps(random: () => number, rate: number, n: number): number[] {
  return Array.from({ length: n }, () => -Math.log(1 - random()) / rate);
}
