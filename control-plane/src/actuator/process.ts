// Process-level edge of the actuator: free ports, locating the simulator, spawning a program in
// its own process group with its output in a log file, waiting for /health, killing the group.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitBeforeReadyError, HealthTimeoutError, SimulatorNotFoundError, SpawnFailedError } from './errors.js';
import type { Launch } from './command.js';

/** Asks the kernel for a free loopback port (listen on 0, read it, close). */
export function allocatePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * argv prefix that runs the built-in simulator: `[node, <engine-sim>/bin/mi-engine-sim.js]`.
 * We only resolve a path to spawn; control-plane never imports engine-sim code.
 */
export function resolveSimulatorCommand(): string[] {
  const candidates: string[] = [];
  try {
    // engine-sim exports its package.json; its bin shim sits beside it.
    const manifest = createRequire(import.meta.url).resolve('@matrixinfer/engine-sim/package.json');
    candidates.push(join(dirname(manifest), 'bin', 'mi-engine-sim.js'));
  } catch {
    // fall through to the node_modules/.bin walk
  }
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    candidates.push(join(dir, 'node_modules', '.bin', 'mi-engine-sim'));
    if (dirname(dir) === dir) break;
  }
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new SimulatorNotFoundError(`mi-engine-sim not found (looked at ${candidates.slice(0, 3).join(', ')}...)`);
  return [process.execPath, found];
}

/** How a process ended. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

/** A spawned instance process, leader of its own process group. */
export interface SpawnedProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves once the process has exited (never rejects). */
  exited: Promise<ExitInfo>;
  /** The exit, once it happened. */
  exitInfo(): ExitInfo | undefined;
}

/**
 * Spawns `launch` detached (its own session and process group, so the whole group can be
 * signalled) with stdout and stderr appended to `logPath`, after the `header` line.
 */
export async function spawnProcess(launch: Launch, logPath: string, header = ''): Promise<SpawnedProcess> {
  mkdirSync(dirname(logPath), { recursive: true });
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    // One line per start keeps the runs of an instance apart in its (appended) log.
    if (header !== '') writeSync(fd, header);
    child = spawn(launch.file, launch.args, { detached: true, env: launch.env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  let info: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      info = { code, signal };
      resolve(info);
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err) => reject(new SpawnFailedError(`cannot start ${launch.file}: ${err.message}`, { cause: err })));
  });
  return { child, pid: child.pid!, exited, exitInfo: () => info };
}

/** Sends `signal` to the process group led by `pid`; false when it no longer exists. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** True while `pid` exists and is not a zombie (in containers, init may reap orphans late). */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may hold spaces, so split after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the leader has exited. */
export async function killProcess(proc: SpawnedProcess, graceMs: number): Promise<ExitInfo> {
  if (proc.exitInfo() !== undefined) {
    signalGroup(proc.pid, 'SIGKILL'); // leader gone: make sure no grandchild survives
    return proc.exitInfo()!;
  }
  signalGroup(proc.pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(proc.pid, 'SIGKILL'), graceMs);
  const info = await proc.exited;
  clearTimeout(timer);
  signalGroup(proc.pid, 'SIGKILL');
  return info;
}

/** Options of waitHealthy. */
export interface HealthWait {
  url: string;
  timeoutMs: number;
  pollMs: number;
  /** Stops waiting (e.g. the instance was stopped meanwhile). */
  signal?: AbortSignal;
}

/**
 * Polls GET `url` until it answers 200. Rejects with ExitBeforeReadyError when the process
 * ends first and HealthTimeoutError at the deadline.
 */
export async function waitHealthy(proc: SpawnedProcess, wait: HealthWait): Promise<void> {
  const deadline = Date.now() + wait.timeoutMs;
  for (;;) {
    const exit = proc.exitInfo();
    if (exit !== undefined) throw new ExitBeforeReadyError(`exited before ready (code ${exit.code}, signal ${exit.signal})`);
    if (wait.signal?.aborted) throw new ExitBeforeReadyError('stopped before ready');
    try {
      const res = await fetch(wait.url, { signal: AbortSignal.timeout(Math.max(100, Math.min(1000, deadline - Date.now()))) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() >= deadline) throw new HealthTimeoutError(`no 200 from ${wait.url} within ${wait.timeoutMs} ms`);
    await Promise.race([new Promise((r) => setTimeout(r, wait.pollMs)), proc.exited]);
  }
}
