// Child processes of an e2e test (mi up, gateways): each runs as the leader of its own process
// group so one signal reaches its whole tree, and every one is killed in the test's hooks.
import { spawn, type ChildProcess } from 'node:child_process';

export interface RunningChild {
  name: string;
  pid: number;
  proc: ChildProcess;
  /** Everything written so far to stdout and stderr, interleaved. */
  output(): string;
  /** Resolves with the exit code/signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
}

/** True while a process with this pid exists (zombies of our own children excluded by the caller's wait). */
export { pidAlive } from '@matrixinfer/control-plane';

/** Starts and tracks children; `killAll` SIGKILLs every process group it started. */
export class ChildSet {
  private readonly children: RunningChild[] = [];

  /** Spawns `command args` detached (own process group), capturing its output. */
  spawn(name: string, command: string, args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): RunningChild {
    const proc = spawn(command, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    let done = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      proc.once('exit', (code, signal) => {
        done = true;
        resolve({ code, signal });
      });
      proc.once('error', () => {
        done = true;
        resolve({ code: null, signal: null });
      });
    });
    if (proc.pid === undefined) throw new Error(`cannot start ${name}: ${command}`);
    const child: RunningChild = { name, pid: proc.pid, proc, output: () => out, exited, running: () => !done };
    this.children.push(child);
    return child;
  }

  /** Sends `signal` to the child's whole process group. */
  signal(child: RunningChild, signal: NodeJS.Signals): void {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** SIGTERMs a child's group and waits for it; SIGKILL after `graceMs`. */
  async stop(child: RunningChild, graceMs = 8000): Promise<void> {
    if (!child.running()) return;
    this.signal(child, 'SIGTERM');
    const timer = setTimeout(() => this.signal(child, 'SIGKILL'), graceMs);
    await child.exited;
    clearTimeout(timer);
  }

  /** SIGKILLs every child group still running and waits for them to exit. */
  async killAll(): Promise<void> {
    const all = this.children.splice(0);
    for (const c of all) this.signal(c, 'SIGKILL');
    await Promise.all(all.map((c) => c.exited));
  }
}
