// Starts and feeds the orphan-guard process (watchdog.cjs): it learns our children's process
// groups over a pipe and kills them when the pipe closes, i.e. when this process dies by any
// means, SIGKILL included.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Writable } from 'node:stream';
import type { Logger } from 'winston';

/** Handle on the watchdog process. */
export interface Watchdog {
  /** Replaces the list of process groups to kill if we die. */
  update(pgids: readonly number[]): void;
  /** Tells the watchdog there is nothing left to guard and waits for it to exit. */
  close(): Promise<void>;
  readonly pid: number | undefined;
}

/** Spawns the watchdog detached from our process group, its stdin a pipe from us. */
export function startWatchdog(logger: Logger): Watchdog {
  const script = fileURLToPath(new URL('./watchdog.cjs', import.meta.url));
  const child = spawn(process.execPath, [script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.on('error', (err) => logger.warn('watchdog failed', { error: err.message }));
  const stdin = child.stdin as Writable & { unref?: () => void };
  stdin.on('error', () => {}); // a dead watchdog must not crash us
  // Neither the watchdog nor its pipe may keep our event loop alive.
  child.unref();
  stdin.unref?.();
  let closing = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      if (!closing) logger.warn('watchdog exited; children of a crashed actuator will now be cleaned up only at its next start', { code, signal });
      resolve();
    }),
  );
  return {
    pid: child.pid,
    update(pgids) {
      if (!stdin.destroyed) stdin.write(`${JSON.stringify(pgids)}\n`);
    },
    async close() {
      closing = true;
      if (!stdin.destroyed) stdin.end('[]\n');
      if (child.exitCode === null && child.signalCode === null) await exited;
    },
  };
}
