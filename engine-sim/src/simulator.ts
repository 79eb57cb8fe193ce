// Assembles one simulator (core + loop + metrics + HTTP server) and starts it listening.

import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { resolveOptions, type SimOptions, type SimOptionsInput } from './config.js';
import { createScaledClock } from './engine/clock.js';
import { createEngineCore } from './engine/core.js';
import { startEngineLoop } from './engine/loop.js';
import { createRng } from './engine/rng.js';
import type { EngineStatsSink } from './engine/types.js';
import type { SimContext } from './http/context.js';
import { createFaultController } from './http/faults.js';
import { createLoraRegistry } from './http/lora.js';
import { createRoomBook } from './http/rooms.js';
import { TraceLog } from './http/trace-log.js';
import { createRouter } from './http/routes.js';
import { createManagementRouter } from './http/torchserve-management.js';
import { createTorchserveRegistry } from './http/torchserve-registry.js';
import { createTritonRepository, repositoryDirModels } from './http/triton-repository.js';
import { createSglangMetrics } from './metrics/sglang-metrics.js';
import { createTorchserveMetrics } from './metrics/torchserve-metrics.js';
import { createTritonMetrics } from './metrics/triton-metrics.js';
import { createVllmMetrics } from './metrics/vllm-metrics.js';

/** Options of startSimulator: simulator options plus what to do on a simulated crash. */
export type StartSimulatorOptions = SimOptionsInput & {
  /**
   * Called when a crash fault fires. The CLI exits the process; by default (in-process) the
   * simulator drops every connection and stops listening, which a client sees the same way.
   */
  onCrash?: () => void;
};

/** A running simulator. */
export interface RunningSimulator {
  /** Base URL, e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
  port: number;
  /** Port of the PD side channel (SGLang bootstrap server or NIXL side port as advertised). */
  bootstrapPort: number;
  /** TorchServe with --management-port: where its management API listens (else on `port`). */
  managementPort?: number;
  options: SimOptions;
  /** Stops listening, aborts in-flight requests and closes every connection. */
  close(): Promise<void>;
}

/** Starts a simulator listening on options.host:options.port (port 0 picks a free port). */
export async function startSimulator(input: StartSimulatorOptions = {}): Promise<RunningSimulator> {
  const { onCrash, ...rest } = input;
  const opts = resolveOptions({ port: 0, ...rest });
  const clock = createScaledClock(opts.timeScale);
  const rng = createRng(opts.seed);
  let onAccepted: (n: number, maxTokens: number) => void = () => {};
  let sink: EngineStatsSink;
  let render: () => string;
  if (opts.engine === 'vllm') {
    const m = createVllmMetrics({
      modelName: opts.model, maxModelLen: opts.maxModelLen, blockSize: opts.blockSize, kvBlocks: opts.kvBlocks,
      legacyNames: opts.legacyMetricNames, maxLoras: opts.enableLora ? opts.maxLoras : undefined,
    });
    sink = m;
    onAccepted = (n, maxTokens) => m.requestParams(n, maxTokens);
    render = () => m.render(core.snapshot(), Date.now() / 1000);
  } else if (opts.engine === 'triton') {
    const m = createTritonMetrics(opts.model, opts.maxNumSeqs);
    sink = m;
    render = () => m.render(core.snapshot());
  } else if (opts.engine === 'torchserve') {
    const m = createTorchserveMetrics(opts.model);
    sink = m;
    render = () => m.render();
  } else {
    const m = createSglangMetrics(opts.model, opts.role, opts.kvBlocks * opts.blockSize, () => clock.nowMs());
    sink = m;
    render = () => m.render(core.snapshot(), clock.nowMs());
  }
  const core = createEngineCore(opts, createRng(opts.seed + 1), sink);
  const loop = startEngineLoop(core, clock);
  const rooms = createRoomBook();
  const sockets = new Set<Socket>();
  const servers: Server[] = [];
  let seq = 0;
  let closed: Promise<void> | undefined;

  const close = (): Promise<void> => {
    closed ??= (async () => {
      loop.stop();
      rooms.close();
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
    })();
    return closed;
  };

  let sidePort = 0;
  const ctx: SimContext = {
    opts, core, loop, clock, rooms, onAccepted,
    traces: new TraceLog(),
    adapters: createLoraRegistry(opts.loraModules, opts.maxLoadedLoras),
    repository: createTritonRepository([opts.model, ...opts.repositoryModels, ...repositoryDirModels(opts.modelRepository)], opts.modelControlMode, opts.loadModels),
    registry: createTorchserveRegistry([{ name: opts.model, url: `${opts.model}.mar` }], opts.defaultWorkersPerModel, () => new Date().toISOString()),
    faults: createFaultController(opts.faults, rng),
    engineId: `sim-${opts.seed}-${Math.floor(rng.next() * 1e9).toString(36)}`,
    // A wildcard listen address is not something a peer can connect to.
    advertisedHost: opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host,
    sidePort: () => sidePort,
    crash: () => {
      if (onCrash) onCrash();
      else void close();
    },
    nextRequestId: () => `req-${++seq}`,
    readyAtMs: clock.nowMs() + opts.faults.startupDelayMs,
  };

  const handler = createRouter(ctx, render);
  const listen = async (port: number, serve: typeof handler = handler): Promise<number> => {
    const srv = createServer({ keepAliveTimeout: 65_000 }, serve);
    srv.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    servers.push(srv);
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, opts.host, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    const addr = srv.address();
    return typeof addr === 'object' && addr !== null ? addr.port : port;
  };

  try {
    const port = await listen(opts.port);
    // SGLang prefill engines run a separate bootstrap server that decode engines contact. The
    // rooms are served on the main port too, so when the default bootstrap port is taken (several
    // prefill simulators on one machine) the main port serves as the bootstrap port.
    sidePort = port;
    if (opts.engine === 'sglang' && opts.role === 'prefill') {
      try {
        sidePort = await listen(opts.bootstrapPort);
      } catch (err) {
        const inUse = (err as { code?: string }).code === 'EADDRINUSE';
        if (!inUse || rest.bootstrapPort !== undefined) throw err;
        servers.pop();
      }
    }
    const running: RunningSimulator = { url: `http://${ctx.advertisedHost}:${port}`, port, bootstrapPort: sidePort, options: opts, close };
    // TorchServe serves its management API on a port of its own (8081 by default) when given one.
    if (opts.engine === 'torchserve' && opts.managementPort !== undefined) running.managementPort = await listen(opts.managementPort, createManagementRouter(ctx));
    return running;
  } catch (err) {
    await close();
    throw err;
  }
}
