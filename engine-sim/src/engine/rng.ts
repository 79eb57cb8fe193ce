// Seeded pseudo-random numbers (mulberry32) so every simulator run is reproducible from --seed.

/** A source of uniform numbers in [0, 1). */
export interface Rng {
  next(): number;
}

/** Creates a mulberry32 generator from a 32-bit seed; same seed -> same sequence. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return {
    next(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Scales `value` by a uniform factor in [1 - jitter, 1 + jitter]; jitter 0 returns value unchanged. */
export function jittered(value: number, jitter: number, rng: Rng): number {
  if (jitter <= 0 || value <= 0) return value;
  return Math.max(0, value * (1 + jitter * (2 * rng.next() - 1)));
}
