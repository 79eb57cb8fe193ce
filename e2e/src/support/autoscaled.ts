// The system the autoscaler e2e suites run: a nats-server, the default control-plane
// composition in process with a faster autoscaler tick, one gateway process, and a client
// connection with the routes bucket and the resource store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { defaultComponents, startAutoscaler, startControlPlane, type AutoscalerDecisionData, type ComponentContext, type ControlPlane } from '@matrixinfer/control-plane';
import { connectNats, createResourceStore, decisionSubject, type ResourceStore } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import type { ModelInfer } from '@matrixinfer/schemas';
import { ChildSet } from './children.js';
import { readStream, routesKv } from './nats.js';
import { fileLogger, startGatewayProcess, type GatewayProcess } from './system.js';

export interface AutoscaledSystem {
  server: TestNatsServer;
  dataDir: string;
  gw: GatewayProcess;
  /** The control-plane API (`/metrics` included), `http://127.0.0.1:<port>`. */
  apiUrl: string;
  nc: NatsConnection;
  kv: KV;
  store: ResourceStore;
  /** spec.replicas of a ModelInfer in the default namespace. */
  replicas(infer: string): Promise<number | undefined>;
  /** Every autoscaler decision published for `name` so far. */
  decisions(name: string): Promise<AutoscalerDecisionData[]>;
  stop(): Promise<void>;
}

/** Starts the system with an autoscaler ticking every `tickMs`; `name` labels the temp dir and gateway. */
export async function startAutoscaledSystem(name: string, tickMs: number): Promise<AutoscaledSystem> {
  const children = new ChildSet();
  const server = await startNatsServer();
  const dataDir = mkdtempSync(join(tmpdir(), `mi-e2e-${name}-`));
  let cp: ControlPlane | undefined;
  let nc: NatsConnection | undefined;
  const stop = async () => {
    await nc?.close().catch(() => undefined);
    await children.killAll();
    await cp?.stop().catch(() => undefined);
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const logger = fileLogger(dataDir, 'control-plane');
    const components = defaultComponents().map((c) =>
      c.name !== 'autoscaler' ? c : { name: c.name, start: (ctx: ComponentContext) => startAutoscaler({ nc: ctx.nc, logger: ctx.logger, tickMs, ensure: false, metrics: ctx.metrics }) },
    );
    cp = await startControlPlane({ natsUrl: server.url, dataDir, apiPort: 0, logger, components });
    const gw = await startGatewayProcess(children, server.url, `gw-${name}`);
    nc = await connectNats({ url: server.url, name: `e2e-${name}` });
    const conn = nc;
    const kv = await routesKv(conn);
    const store = createResourceStore({ js: jetstream(conn), jsm: await jetstreamManager(conn), source: 'e2e' });
    return {
      server,
      dataDir,
      gw,
      apiUrl: cp.api.url,
      nc: conn,
      kv,
      store,
      replicas: async (infer) => ((await store.get('ModelInfer', 'default', infer))?.spec as ModelInfer['spec'] | undefined)?.replicas,
      decisions: async (n) => (await readStream<AutoscalerDecisionData>(conn, 'decisions', decisionSubject('autoscaler', 'default', n))).map((e) => e.envelope.data),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
