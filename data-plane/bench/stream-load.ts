// Stream-load benchmark: N concurrent streaming chat completions held through one gateway for a
// duration against slow-streaming fake engines (one token a second), with no error, and the
// gateway's memory per connection (RSS and heap after a forced GC, before and while held). The
// engines and clients live in a child process (stream-load-peer.ts) so only the gateway is
// measured here; `npm run test:load -w data-plane` prints the figures.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '@matrixinfer/events/testing';
import { startGateway } from '../src/gateway/gateway.js';
import { modelEntry, putRoute, routesBucket, server } from '../src/gateway/testing.js';
import type { PeerCommand, PeerReport } from './stream-load-peer.js';

export interface StreamLoadOptions {
  connections: number;
  /** How long each stream lasts (one token per `tokenDelayMs`). */
  durationMs: number;
  tokenDelayMs?: number;
  /** Fake engines behind the ModelServer (each pool holds 512 sockets). Default ceil(connections / 400). */
  engines?: number;
}

export interface MemoryFigures {
  rssBytes: number;
  heapUsedBytes: number;
}

export interface StreamLoadResult {
  connections: number;
  durationMs: number;
  engines: number;
  /** Streams that ended with data: [DONE]. */
  completed: number;
  errorCount: number;
  errors: string[];
  /** Time until every stream had its first bytes. */
  rampMs: number;
  before: MemoryFigures;
  held: MemoryFigures;
  after: MemoryFigures;
  /** Largest RSS sampled (every second) while the streams were held. */
  peakRssBytes: number;
  rssPerConnectionBytes: number;
  heapPerConnectionBytes: number;
}

function memoryAfterGc(): MemoryFigures {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed };
}

function nextReport<T extends PeerReport['type']>(peer: ChildProcess, type: T, timeoutMs: number): Promise<Extract<PeerReport, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      peer.off('message', on);
      reject(new Error(`no "${type}" report from the load peer in ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (m: PeerReport): void => {
      if (m.type !== type) return;
      clearTimeout(timer);
      peer.off('message', on);
      resolve(m as Extract<PeerReport, { type: T }>);
    };
    peer.on('message', on);
  });
}

/** Runs the benchmark once: starts nats-server, the peer process and a gateway, and tears all down. */
export async function runStreamLoad(opts: StreamLoadOptions): Promise<StreamLoadResult> {
  const tokenDelayMs = opts.tokenDelayMs ?? 1000;
  const tokens = Math.max(1, Math.ceil(opts.durationMs / tokenDelayMs));
  const engines = opts.engines ?? Math.ceil(opts.connections / 400);
  const nats = await startNatsServer();
  const peer = fork(fileURLToPath(new URL('./stream-load-peer.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const nc = await connect({ servers: nats.url });
  const command = (c: PeerCommand): void => void peer.send(c);
  let gw: Awaited<ReturnType<typeof startGateway>> | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    const upstreams = nextReport(peer, 'upstreams', 30_000);
    command({ type: 'upstreams', count: engines, tokens, tokenDelayMs });
    const { urls } = await upstreams;
    await putRoute(await routesBucket(nc), modelEntry('load', [server('load-srv', urls.map((url, i) => ({ id: `load-${i}`, url })))]));
    gw = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-load', logLevel: 'off', seed: 1 });
    await gw.ready;
    const before = memoryAfterGc();
    const t0 = Date.now();
    const opened = nextReport(peer, 'opened', 60_000 + opts.durationMs);
    const finished = nextReport(peer, 'finished', 120_000 + 2 * opts.durationMs);
    const body = JSON.stringify({ model: 'load', messages: [{ role: 'user', content: 'hold this stream open' }], stream: true });
    command({ type: 'open', url: gw.url, connections: opts.connections, body });
    const o = await opened;
    const rampMs = Date.now() - t0;
    let peakRssBytes = process.memoryUsage().rss;
    sampler = setInterval(() => (peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss)), 1000);
    const held = memoryAfterGc();
    const f = await finished;
    clearInterval(sampler);
    const after = memoryAfterGc();
    return {
      connections: opts.connections,
      durationMs: opts.durationMs,
      engines,
      completed: f.completed,
      errorCount: f.errorCount,
      errors: f.errors.length > 0 ? f.errors : o.errors,
      rampMs,
      before,
      held,
      after,
      peakRssBytes,
      rssPerConnectionBytes: (held.rssBytes - before.rssBytes) / opts.connections,
      heapPerConnectionBytes: (held.heapUsedBytes - before.heapUsedBytes) / opts.connections,
    };
  } finally {
    if (sampler) clearInterval(sampler);
    await gw?.close();
    const exited = new Promise((r) => peer.once('exit', r));
    if (peer.connected) command({ type: 'close' });
    const kill = setTimeout(() => peer.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(kill);
    await nc.close();
    await nats.close();
  }
}

/** The figures as a person reads them. */
export function formatStreamLoad(r: StreamLoadResult): string {
  const mib = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;
  const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;
  return [
    `stream load: ${r.connections} concurrent streams for ${(r.durationMs / 1000).toFixed(0)} s through one gateway, ${r.engines} fake engines (1 token/s)`,
    `  completed ${r.completed}/${r.connections}, errors ${r.errorCount}${r.errors.length ? ` (${r.errors.slice(0, 3).join('; ')})` : ''}, all streaming after ${r.rampMs} ms`,
    `  gateway RSS  ${mib(r.before.rssBytes)} -> ${mib(r.held.rssBytes)} held (peak ${mib(r.peakRssBytes)}) -> ${mib(r.after.rssBytes)} after: ${kib(r.rssPerConnectionBytes)} per connection`,
    `  gateway heap ${mib(r.before.heapUsedBytes)} -> ${mib(r.held.heapUsedBytes)} held -> ${mib(r.after.heapUsedBytes)} after: ${kib(r.heapPerConnectionBytes)} per connection`,
  ].join('\n');
}
