// A serial ticker aligned to multiples of `tickMs` (epoch time), so every replica of a component
// acts on the same bucket. A tick that overruns delays the next instead of overlapping it.
/** A running ticker. */
export interface AlignedTicker {
  /** Runs one tick now, after any running one (the loop calls it each boundary; tests may too). */
  tick(): Promise<void>;
  /** Stops scheduling and waits for a running tick to end. */
  stop(): Promise<void>;
}

/** Starts calling `onTick` just after each tick boundary; a rejected tick goes to `onError`. */
export function startAlignedTicker(o: { tickMs: number; now: () => number; onTick: () => Promise<void>; onError: (err: unknown) => void }): AlignedTicker {
  let running: Promise<void> | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): Promise<void> => {
    running = (running ?? Promise.resolve()).then(o.onTick, o.onTick);
    return running;
  };
  const schedule = (): void => {
    if (stopped) return;
    const t = o.now();
    // Just after the next boundary (+5 ms), so clocks a little apart still pick the same bucket.
    timer = setTimeout(() => void tick().catch(o.onError).finally(schedule), Math.floor(t / o.tickMs) * o.tickMs + o.tickMs - t + 5);
  };
  schedule();
  return {
    tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
