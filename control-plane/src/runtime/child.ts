// Child processes of `mi up` (nats-server, gateways), started like the actuator starts engine
// replicas (same spawn and kill helpers): each leads its own process group, so stopping it also
// stops anything it spawned, and Ctrl-C reaches `mi up` alone, which stops its children in order.
// Output is appended to a log file, not the terminal.
import { killProcess, signalGroup, spawnProcess, type ExitInfo } from '../actuator/process.js';

/** A running child process in its own process group. */
export interface ManagedChild {
  readonly name: string;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ExitInfo>;
  /** True until the process has exited. */
  running(): boolean;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once exited. Safe to call twice. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

export interface SpawnChildOptions {
  name: string;
  command: string;
  args: string[];
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** stdout and stderr are appended here. */
  logFile: string;
}

/** Spawns `command args` detached in a new process group; throws if it cannot start. */
export async function spawnChild(opts: SpawnChildOptions): Promise<ManagedChild> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  const proc = await spawnProcess({ file: opts.command, args: opts.args, env: { ...env, ...opts.env } }, opts.logFile, `--- ${new Date().toISOString()} mi up starts ${opts.name}\n`);
  // If `mi up` itself exits without stopping its children, they must not outlive it.
  const onExit = () => {
    if (proc.exitInfo() === undefined) signalGroup(proc.pid, 'SIGKILL');
  };
  process.once('exit', onExit);
  void proc.exited.then(() => process.removeListener('exit', onExit));
  return {
    name: opts.name,
    pid: proc.pid,
    exited: proc.exited,
    running: () => proc.exitInfo() === undefined,
    stop: (graceMs = 5000) => killProcess(proc, graceMs),
  };
}
