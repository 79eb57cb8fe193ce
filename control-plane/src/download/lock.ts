// One download per output directory at a time, also across processes (two replicas on one node
// share the cache volume): an exclusive lock file the holder touches while it works. A lock
// whose holder is gone (a dead pid on this host, or untouched for staleMs) is taken over.
import { openSync, closeSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { pidAlive as alive } from '../runtime/pid-alive.js';

interface Holder {
  pid: number;
  host: string;
  startedAt: string;
}

export interface LockOptions {
  /** Poll period while waiting (default 500 ms). */
  pollMs?: number;
  /** A lock not touched for this long is stale (default 60 s; the holder touches it every staleMs/6). */
  staleMs?: number;
  /** Told now and then who holds the lock while waiting. */
  onWait?: (holder: string) => void;
  now?: () => number;
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

/** Waits for and takes the lock at `path`; resolves to its release function. */
export async function acquireLock(path: string, o: LockOptions = {}): Promise<() => void> {
  const pollMs = o.pollMs ?? 500;
  const staleMs = o.staleMs ?? 60_000;
  const now = o.now ?? Date.now;
  let lastTold = 0;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date(now()).toISOString() } satisfies Holder));
      closeSync(fd);
      const touch = setInterval(() => {
        try {
          const t = new Date(now());
          utimesSync(path, t, t);
        } catch {
          /* released meanwhile */
        }
      }, Math.max(50, staleMs / 6));
      touch.unref();
      return () => {
        clearInterval(touch);
        rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(path);
    let mtime: number;
    try {
      mtime = statSync(path).mtimeMs;
    } catch {
      continue; // released between open and stat: try again at once
    }
    const deadHere = holder !== undefined && holder.host === hostname() && !alive(holder.pid);
    if (deadHere || now() - mtime > staleMs) {
      rmSync(path, { force: true });
      continue;
    }
    if (now() - lastTold >= 10_000) {
      lastTold = now();
      o.onWait?.(holder ? `pid ${holder.pid} on ${holder.host} (since ${holder.startedAt})` : 'another process');
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
