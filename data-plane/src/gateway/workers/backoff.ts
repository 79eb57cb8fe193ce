// Restart pacing for gateway workers: a worker that keeps dying must not be forked in a hot loop.

/** Delay before re-forking a worker after its `deaths`-th recent death: 0 ms first, then doubling from 100 ms, capped at maxMs. */
export function restartDelayMs(deaths: number, maxMs = 10_000): number {
  if (deaths <= 1) return 0;
  return Math.min(maxMs, 100 * 2 ** (deaths - 2));
}

/** Deaths still counted at `now`: those within `windowMs`, so a worker that ran fine for a while restarts at once again. */
export function recentDeaths(deathTimes: readonly number[], now: number, windowMs = 30_000): number[] {
  return deathTimes.filter((t) => now - t < windowMs);
}
