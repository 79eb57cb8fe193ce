// SGLang PD rendezvous: a prefill engine marks a bootstrap room done when the room's KV is
// computed; the decode engine asks the prefill engine's bootstrap server (bootstrap_host:
// bootstrap_port, GET /sim/bootstrap/rooms/<room>) and waits there until the room is done.

const KEEP_DONE_MS = 120_000;
const MAX_DONE = 100_000;

/** Rooms whose prefill has finished on this engine, and the decode engines waiting for them. */
export interface RoomBook {
  /** Marks `room` done and wakes every waiter. */
  complete(room: string): void;
  /** Resolves true once `room` is done, false after `timeoutMs` real ms or when `signal` aborts. */
  wait(room: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  /** Drops all waiters (server shutdown). */
  close(): void;
}

/** Creates an empty room book; `nowMs` is real time (for forgetting old rooms). */
export function createRoomBook(nowMs: () => number = Date.now): RoomBook {
  const done = new Map<string, number>();
  const waiters = new Map<string, Set<(ok: boolean) => void>>();
  return {
    complete(room) {
      done.delete(room);
      done.set(room, nowMs());
      for (const [r, at] of done) {
        if (done.size <= MAX_DONE && nowMs() - at < KEEP_DONE_MS) break;
        done.delete(r);
      }
      const ws = waiters.get(room);
      if (ws) {
        waiters.delete(room);
        for (const w of ws) w(true);
      }
    },
    wait(room, timeoutMs, signal) {
      if (done.has(room)) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        let set = waiters.get(room);
        if (!set) {
          set = new Set();
          waiters.set(room, set);
        }
        const finish = (ok: boolean): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const s = waiters.get(room);
          s?.delete(finish);
          if (s && s.size === 0) waiters.delete(room);
          resolve(ok);
        };
        const onAbort = (): void => finish(false);
        const timer = setTimeout(() => finish(false), timeoutMs);
        signal?.addEventListener('abort', onAbort);
        set.add(finish);
      });
    },
    close() {
      for (const ws of waiters.values()) for (const w of [...ws]) w(false);
      waiters.clear();
    },
  };
}
