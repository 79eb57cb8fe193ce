// One container of the stand-in kubelet: runs its process in its own process group, probes
// readiness (httpGet), restarts it per restartPolicy after a back-off, and reports every change
// of its ContainerRun. No Kubernetes here: kubelet.ts turns the runs into Pod status.
import { spawn, type ChildProcess } from 'node:child_process';
import type { ContainerLaunch, ContainerRun } from './launch.js';

/** Options of one container run. */
export interface RunnerOptions {
  launch: ContainerLaunch;
  /** `http://<podIP>:<port><path>` of the readiness probe; undefined = ready once started. */
  probeUrl?: string;
  probePeriodMs: number;
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  restartBackoffMs: number;
  onChange(run: ContainerRun): void;
  now(): string;
}

/** A running container. */
export interface ContainerRunner {
  run(): ContainerRun;
  pid(): number | undefined;
  /** SIGTERM the group, SIGKILL after `graceMs`; resolves once the process is gone. No restart after. */
  kill(graceMs: number): Promise<void>;
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

/** Starts the container now. */
export function startContainer(opts: RunnerOptions): ContainerRunner {
  let state: ContainerRun = { state: 'starting', ready: false, restarts: 0 };
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let killed = false;
  let probe: NodeJS.Timeout | undefined;
  let restart: NodeJS.Timeout | undefined;
  const set = (next: ContainerRun): void => {
    const changed = JSON.stringify(next) !== JSON.stringify(state);
    state = next;
    if (changed && !killed) opts.onChange(state);
  };
  function launch(): void {
    const startedAt = opts.now();
    const c = spawn(opts.launch.file, opts.launch.args, { detached: true, env: opts.launch.env, stdio: 'ignore' });
    child = c;
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    c.once('error', () => undefined);
    set({ ...state, state: 'running', ready: opts.probeUrl === undefined, startedAt, exitCode: undefined, reason: undefined });
    c.once('exit', (code, signal) => {
      clearInterval(probe);
      if (killed) return;
      const exitCode = code ?? 128 + 9;
      const again = opts.restartPolicy === 'Always' || (opts.restartPolicy === 'OnFailure' && exitCode !== 0);
      if (!again) {
        set({ ...state, state: 'exited', ready: false, exitCode, reason: signal ? `killed by ${signal}` : exitCode === 0 ? 'Completed' : 'Error' });
        return;
      }
      set({ ...state, state: 'waiting', ready: false, exitCode, reason: `back-off restarting: exited with ${signal ?? `code ${exitCode}`}` });
      restart = setTimeout(() => {
        state = { ...state, restarts: state.restarts + 1 };
        launch();
      }, opts.restartBackoffMs);
    });
    if (opts.probeUrl !== undefined) {
      const url = opts.probeUrl;
      probe = setInterval(() => {
        fetch(url, { signal: AbortSignal.timeout(Math.max(200, opts.probePeriodMs)) }).then(
          (r) => {
            void r.body?.cancel();
            if (child === c && state.state === 'running') set({ ...state, ready: r.status >= 200 && r.status < 400 });
          },
          () => {
            if (child === c && state.state === 'running') set({ ...state, ready: false });
          },
        );
      }, opts.probePeriodMs);
    }
  }
  launch();
  return {
    run: () => state,
    pid: () => child?.pid,
    async kill(graceMs) {
      killed = true;
      clearInterval(probe);
      clearTimeout(restart);
      const pid = child?.pid;
      if (pid === undefined || child?.exitCode !== null || child?.signalCode !== null) return;
      signalGroup(pid, 'SIGTERM');
      const t = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}
