// Keeps `mi up`'s children (nats-server, gateways) running, as a kubelet would: a child that exits
// while `mi up` is not stopping is started again after a backoff that doubles per recent death;
// a child that keeps dying (crash loop) is given up on with one line saying where its log is.
// The decision is pure (restartDecision); superviseChild is the thin loop around real processes.
import type { ManagedChild } from './child.js';

/** How restarts back off and when they stop. */
export interface RestartPolicy {
  /** Wait before the first restart; doubled per further death within the window. */
  baseMs: number;
  capMs: number;
  /** Deaths within `windowMs` after which the child is not restarted any more. */
  maxDeaths: number;
  windowMs: number;
}

/** The default: 0.5 s, 1 s, 2 s, ... up to 10 s; 6 deaths within 2 minutes is a crash loop. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = { baseMs: 500, capMs: 10_000, maxDeaths: 6, windowMs: 120_000 };

/** What to do after a death at `now`, given the times of all deaths so far (this one included). */
export function restartDecision(deaths: readonly number[], now: number, p: RestartPolicy = DEFAULT_RESTART_POLICY): { restartInMs: number } | { giveUp: string } {
  const recent = deaths.filter((t) => now - t <= p.windowMs).length;
  if (recent >= p.maxDeaths) return { giveUp: `exited ${recent} times within ${Math.round(p.windowMs / 1000)} s` };
  return { restartInMs: Math.min(p.capMs, p.baseMs * 2 ** Math.max(0, recent - 1)) };
}

export interface SuperviseOptions {
  name: string;
  first: ManagedChild;
  /** Starts the child again (same port, store, arguments); resolves once it is ready. */
  start: () => Promise<ManagedChild>;
  /** True once `mi up` is stopping: an exit then is expected. */
  stopping: () => boolean;
  /** Called after each death outside a stop, with what happens next. */
  onExit?: (why: string, next: { restartInMs: number } | { giveUp: string }) => void;
  /** Called with each restarted child (to record its pid) and the death's exit description. */
  onRestart: (child: ManagedChild, why: string, restarts: number) => void;
  /** Called when a death is not followed by a restart (crash loop, or the restart failed). */
  onGiveUp: (why: string) => void;
  /** Called when a restart attempt fails (it is retried like a death). */
  onStartError?: (err: Error) => void;
  policy?: RestartPolicy;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A supervised child: the process running now, and how many times it was restarted. */
export interface Supervised {
  current(): ManagedChild;
  restarts(): number;
  /** Resolves once no restart is in progress (call after `stopping()` turned true, then stop current()). */
  idle(): Promise<void>;
}

/** Watches `first` and restarts it by `start` whenever it exits outside a stop. */
export function superviseChild(o: SuperviseOptions): Supervised {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref()));
  const deaths: number[] = [];
  let current = o.first;
  let restarts = 0;
  let starting: Promise<unknown> = Promise.resolve();
  const loop = async (child: ManagedChild): Promise<void> => {
    const { code, signal } = await child.exited;
    let why = signal ?? `code ${code}`;
    for (;;) {
      if (o.stopping()) return;
      deaths.push(now());
      const d = restartDecision(deaths, now(), o.policy);
      o.onExit?.(why, d);
      if ('giveUp' in d) return o.onGiveUp(`${why}; ${d.giveUp}`);
      await sleep(d.restartInMs);
      if (o.stopping()) return;
      try {
        const next = o.start();
        starting = next.catch(() => undefined);
        current = await next;
      } catch (err) {
        o.onStartError?.(err as Error);
        why = `restart failed: ${(err as Error).message}`;
        continue;
      }
      // A stop that came while it was starting must not leave it running.
      if (o.stopping()) {
        await current.stop();
        return;
      }
      restarts++;
      o.onRestart(current, why, restarts);
      return loop(current);
    }
  };
  void loop(current);
  return { current: () => current, restarts: () => restarts, idle: () => starting.then(() => undefined) };
}
