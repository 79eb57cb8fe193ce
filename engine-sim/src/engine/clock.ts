// Model time. The core only sees model milliseconds; `--time-scale N` makes model time run N
// times faster than the wall clock, so every reported duration stays in model time.

/** A source of the current model time in milliseconds. */
export interface Clock {
  nowMs(): number;
  /** Real milliseconds to wait for `modelMs` of model time to pass. */
  realDelayMs(modelMs: number): number;
}

/** Wall-clock model time starting at Date.now(), running `timeScale` times faster than real time. */
export function createScaledClock(timeScale: number): Clock {
  const origin = Date.now();
  const start = performance.now();
  return {
    nowMs: () => origin + (performance.now() - start) * timeScale,
    realDelayMs: (modelMs) => Math.max(0, modelMs / timeScale),
  };
}
