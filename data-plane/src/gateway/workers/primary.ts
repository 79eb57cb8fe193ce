// The primary of a multi-worker gateway: forks N node:cluster workers that all listen on one port
// (the primary holds the socket and hands connections out round-robin), re-forks a worker that
// dies with backoff, forwards SIGTERM/SIGINT for a graceful drain and exits when all workers have.
// Workers are full gateways: each follows mi-routes and shares load/prefix state over NATS like
// separate replicas do, so nothing is shared in memory between them.
import cluster, { type Worker } from 'node:cluster';
import { recentDeaths, restartDelayMs } from './backoff.js';

export interface PrimaryOptions {
  workers: number;
  /** Base replica name; worker i is `<name>-w<i>`. */
  name: string;
  /** Line sink for the one ready line and restart lines (stdout in main). */
  out: (line: string) => void;
  err: (line: string) => void;
  now?: () => number;
}

/** Message a worker sends to the primary once its gateway listens. */
export interface WorkerReady {
  miGatewayReady: { name: string; url: string };
}

/** True when an IPC message is a worker's ready report. */
export function isWorkerReady(m: unknown): m is WorkerReady {
  return typeof m === 'object' && m !== null && 'miGatewayReady' in m;
}

/** Name of worker `slot` of the gateway replica `name`. */
export function workerName(name: string, slot: number): string {
  return `${name}-w${slot}`;
}

/**
 * Runs the primary until every worker has exited after a signal; resolves to the exit code.
 * A worker that dies before all have listened (bad flags, NATS unreachable) stops the whole
 * gateway with exit code 1: re-forking would only repeat the failure. Later deaths are re-forked.
 */
export function runPrimary(o: PrimaryOptions): Promise<number> {
  const now = o.now ?? Date.now;
  const slots = new Map<number, Worker>(); // slot index → live worker
  const deaths = new Map<number, number[]>();
  const ready = new Set<number>();
  let stopping = false;
  let announced = false;
  let exitCode = 0;

  const fork = (slot: number): void => {
    const w = cluster.fork({ MI_GATEWAY_WORKER_NAME: workerName(o.name, slot) });
    slots.set(slot, w);
    w.on('message', (m: unknown) => {
      if (!isWorkerReady(m)) return;
      ready.add(slot);
      const url = m.miGatewayReady.url;
      if (!announced && ready.size === o.workers) {
        announced = true;
        // `url` last: scripts match `{"gateway":…,"url":"…"}` as with one process.
        o.out(JSON.stringify({ gateway: o.name, workers: [...slots.values()].map((x) => x.process.pid), url }));
      } else if (announced) {
        o.out(JSON.stringify({ gateway: o.name, restartedWorker: w.process.pid, slot, url }));
      }
    });
  };

  return new Promise<number>((resolveRun) => {
    // Listeners go away with the run, so a caller (or a test) may run a primary again.
    const resolve = (code: number): void => {
      cluster.off('exit', onExit);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolveRun(code);
    };
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      if (slots.size === 0) { resolve(exitCode); return; }
      // Each worker's own handler drains its gateway (gw.close) and exits.
      for (const w of slots.values()) w.process.kill(signal);
    };
    const onExit = (w: Worker, code: number, signal: string): void => {
      const slot = [...slots].find(([, x]) => x === w)?.[0];
      if (slot === undefined) return;
      slots.delete(slot);
      ready.delete(slot);
      if (!stopping && !announced) {
        o.err(JSON.stringify({ level: 'error', msg: 'gateway worker exited before the gateway was ready; stopping', slot, pid: w.process.pid, code, signal }));
        exitCode = 1;
        stop('SIGTERM');
      }
      if (stopping) {
        if (slots.size === 0) resolve(exitCode);
        return;
      }
      const list = recentDeaths([...(deaths.get(slot) ?? []), now()], now());
      deaths.set(slot, list);
      const delay = restartDelayMs(list.length);
      o.err(JSON.stringify({ level: 'warn', msg: 'gateway worker exited; restarting', slot, pid: w.process.pid, code, signal, delayMs: delay }));
      setTimeout(() => { if (!stopping) fork(slot); }, delay);
    };
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    cluster.on('exit', onExit);
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    for (let i = 0; i < o.workers; i++) fork(i);
  });
}
