// Child processes of `mi up` (nats-server, gateways). Each runs in its own process group so that
// stopping it also stops anything it spawned, and so that Ctrl-C reaches `mi up` alone, which
// then stops its children in order. Output goes to a log file, not the terminal.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ChildStartError } from './errors.js';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running child process in its own process group. */
export interface ManagedChild {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ChildExit>;
  /** True until the process has exited. */
  running(): boolean;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once exited. Safe to call twice. */
  stop(graceMs?: number): Promise<ChildExit>;
}

export interface SpawnChildOptions {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
  /** Appends stdout and stderr here; when omitted they are discarded (unless `onStderr`). */
  logFile?: string;
  /** Sees stderr chunks too (used to detect readiness from log lines). */
  onStderr?: (chunk: string) => void;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Spawns `command args` detached in a new process group; throws ChildStartError if it cannot start. */
export async function spawnChild(opts: SpawnChildOptions): Promise<ManagedChild> {
  const child = spawn(opts.command, opts.args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err) => reject(new ChildStartError(`cannot start ${opts.name} (${opts.command}): ${err.message}`, { cause: err })));
  });
  const pid = child.pid!;
  if (opts.logFile) {
    mkdirSync(dirname(opts.logFile), { recursive: true });
    const log = createWriteStream(opts.logFile, { flags: 'a' });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    child.once('exit', () => setImmediate(() => log.end()));
  } else {
    child.stdout!.resume();
  }
  if (opts.onStderr) child.stderr!.on('data', (c: Buffer) => opts.onStderr!(c.toString()));
  else if (!opts.logFile) child.stderr!.resume();

  let done = false;
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
  });
  // If `mi up` itself dies abruptly, its children must not outlive it.
  const onExit = () => {
    if (!done) killGroup(pid, 'SIGKILL');
  };
  process.once('exit', onExit);
  void exited.then(() => process.removeListener('exit', onExit));

  return {
    name: opts.name,
    pid,
    process: child,
    exited,
    running: () => !done,
    async stop(graceMs = 5000) {
      if (done) return exited;
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      const res = await exited;
      clearTimeout(timer);
      // Anything the child left in its group goes too.
      killGroup(pid, 'SIGKILL');
      return res;
    },
  };
}
