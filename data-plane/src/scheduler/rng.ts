// Deterministic per-request randomness derived from RequestInfo.random (the gateway's seeded draw),
// so plugins never call Math.random and tests can pin outcomes.

/** A small PRNG (mulberry32) seeded from a number in [0,1); returns draws in [0,1). */
export function rngFrom(random: number, salt = 0): () => number {
  let a = (Math.floor(random * 0x1_0000_0000) ^ Math.imul(salt + 1, 0x9e3779b9)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}
