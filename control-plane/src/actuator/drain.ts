// Draining a ready instance before it is stopped (scale-down, rolling replace): the decision
// that removes it also removes it from the routing table, so after a short propagation grace
// no new request arrives; the requests already running are left to finish (bounded), instead
// of being cut and surfacing as 502s to clients.
import { normalizeEngineMetrics } from '../collector/normalize.js';
import { parsePrometheusText } from '../collector/prometheus.js';

export interface DrainOptions {
  /** Wait this long first, so every gateway has dropped the endpoint (routing propagation). */
  graceMs: number;
  /** Stop waiting for in-flight requests after this long in all. */
  timeoutMs: number;
  /** Poll period of the engine's /metrics. */
  pollMs?: number;
  signal?: AbortSignal;
}

/** How a drain ended, for the `stopped` observation's reason. */
export type DrainOutcome = 'idle' | 'timeout' | 'unreadable' | 'aborted';

/** Requests running + waiting on the engine at `address`; null when /metrics cannot be read as engine metrics. */
export async function engineBusy(address: string, timeoutMs = 1000): Promise<number | null> {
  try {
    const res = await fetch(`${address}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) return null;
    const n = normalizeEngineMetrics(parsePrometheusText(await res.text()));
    return n.valid ? n.metrics.running + n.metrics.waiting : null;
  } catch {
    return null;
  }
}

// The signal lives as long as the actuator: a listener left on it per poll would pile up.
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => (clearTimeout(t), resolve());
    const t = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Waits until the engine at `address` has no request running or waiting, within the bounds of `opts`. */
export async function drainEngine(address: string, opts: DrainOptions): Promise<DrainOutcome> {
  const deadline = Date.now() + opts.timeoutMs;
  await sleep(Math.min(opts.graceMs, opts.timeoutMs), opts.signal);
  for (;;) {
    if (opts.signal?.aborted) return 'aborted';
    const busy = await engineBusy(address);
    if (busy === null) return 'unreadable';
    if (busy === 0) return 'idle';
    if (Date.now() >= deadline) return 'timeout';
    await sleep(opts.pollMs ?? 100, opts.signal);
  }
}
