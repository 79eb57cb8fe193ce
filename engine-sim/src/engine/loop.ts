// Drives an EngineCore in real time: calls `advance` when the next event is due and after every
// submit/cancel. Events that are due now are processed in batches separated by setImmediate so
// that sockets keep flowing even with zero modelled latency.

import type { Clock } from './clock.js';
import type { EngineCore } from './core.js';

/** The real-time driver of one core. */
export interface EngineLoop {
  /** Asks for an `advance` soon (after a submit or cancel). */
  kick(): void;
  /** Stops all timers; the core is left as it is. */
  stop(): void;
}

/** Starts driving `core` on `clock`. */
export function startEngineLoop(core: EngineCore, clock: Clock): EngineLoop {
  let timer: NodeJS.Timeout | undefined;
  let timerDueMs = Infinity;
  let immediate: NodeJS.Immediate | undefined;
  let stopped = false;

  const run = (): void => {
    immediate = undefined;
    if (stopped) return;
    core.advance(clock.nowMs());
    schedule();
  };

  const schedule = (): void => {
    if (stopped) return;
    const due = core.nextDueMs();
    if (due === undefined) return;
    const wait = clock.realDelayMs(due - clock.nowMs());
    if (wait <= 0) {
      immediate ??= setImmediate(run);
      return;
    }
    // Sub-millisecond waits become a 1 ms timer rather than a setImmediate spin that would burn a
    // core: the event is then handled up to ~1 real ms late, but its model timestamp (and so
    // every metric) is the scheduled one, and the next events stay on schedule.
    const waitMs = Math.max(1, wait);
    if (timer !== undefined && timerDueMs <= due) return;
    if (timer !== undefined) clearTimeout(timer);
    timerDueMs = due;
    timer = setTimeout(() => {
      timer = undefined;
      timerDueMs = Infinity;
      run();
    }, waitMs);
  };

  return {
    kick() {
      if (stopped) return;
      immediate ??= setImmediate(run);
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      if (immediate !== undefined) clearImmediate(immediate);
      timer = undefined;
      immediate = undefined;
    },
  };
}
