// Cheap recorders over ControlPlaneMetrics for the components' hot loops: label children are
// bound once at construction, so recording is a field update. Every recorder is a no-op when
// the component runs without metrics.
import type { ControlPlaneMetrics } from './metrics.js';

/** Observes one handled stream message: `pending` behind the head, stored at `storedMs`. */
export type LagRecorder = (pending: number, storedMs: number) => void;

const NO_LAG: LagRecorder = () => undefined;

/**
 * A lag recorder for one consumer (`<component>:<filter>`); `now` in epoch ms. Seconds are the
 * age of the handled message while more are pending, 0 once at the head: a quiet stream whose
 * last message is old (read again at start-up) is not lag.
 */
export function lagRecorder(metrics: ControlPlaneMetrics | undefined, consumer: string, now: () => number = Date.now): LagRecorder {
  if (!metrics) return NO_LAG;
  const messages = metrics.lagMessages.labels(consumer);
  const seconds = metrics.lagSeconds.labels(consumer);
  messages.set(0);
  seconds.set(0);
  return (pending, storedMs) => {
    messages.set(pending);
    seconds.set(pending > 0 ? Math.max(0, now() - storedMs) / 1000 : 0);
  };
}

/** Times reconcile passes of one controller. */
export interface ReconcileRecorder {
  /** Runs `fn`, counting it (ok or error) and observing its duration; rethrows. */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/** A reconcile recorder for `controller`; `clockMs` a monotonic clock in ms (default performance.now). */
export function reconcileRecorder(metrics: ControlPlaneMetrics | undefined, controller: string, clockMs: () => number = () => performance.now()): ReconcileRecorder {
  if (!metrics) return { run: (fn) => fn() };
  const ok = metrics.reconciles.labels(controller, 'ok');
  const failed = metrics.reconciles.labels(controller, 'error');
  const duration = metrics.reconcileDuration.labels(controller);
  return {
    async run(fn) {
      const t0 = clockMs();
      try {
        const out = await fn();
        ok.inc();
        return out;
      } catch (err) {
        failed.inc();
        throw err;
      } finally {
        duration.observe((clockMs() - t0) / 1000);
      }
    },
  };
}

/** Counts a published decision of `type`. */
export function countDecision(metrics: ControlPlaneMetrics | undefined, type: string): void {
  metrics?.decisions.labels(type).inc();
}
