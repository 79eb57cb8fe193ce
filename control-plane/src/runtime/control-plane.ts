// The control plane as one process: streams and buckets ensured, the components started in
// order on one NATS connection, and the HTTP API in front. Stops in reverse order.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'winston';
import { checkReplicas, connectNats, ensureBucket, ensureBuckets, ensureStreams, type NatsClientAuth } from '@matrixinfer/events';
import { CORE_OBJECTS_BUCKET } from '../api/core-store.js';
import { createNatsResourceService } from '../api/nats-backend.js';
import { startApiServer, type ApiServer } from '../api/server.js';
import { createApiMetrics } from '../api/metrics.js';
import { createControlPlaneMetrics, type ControlPlaneMetrics } from '../observability/metrics.js';
import type { ResourceService } from '../api/service.js';
import { defaultComponents, type ComponentStarter, type RunningComponent } from './components.js';
import { PortBusyError } from './errors.js';

export interface ControlPlaneOptions {
  natsUrl?: string;
  /** Its NATS credentials and CA; default from the environment (MI_NATS_AUTH_FILE, MI_NATS_USER, ...). */
  natsAuth?: NatsClientAuth;
  /**
   * Replicas of the streams and KV buckets on a NATS cluster (1, 3 or 5); default env
   * MI_JETSTREAM_REPLICAS, else 1. Raised on existing ones at start, never lowered.
   */
  jetstreamReplicas?: number;
  /** How long the first NATS connect waits for a server that is not up yet (ms); default 0. */
  natsFirstConnectWaitMs?: number;
  dataDir: string;
  /** API port; 0 picks a free one. Default env MI_API_PORT, else 8090. */
  apiPort?: number;
  /** API bind address; default env MI_API_HOST, else 127.0.0.1 (a Pod sets 0.0.0.0). */
  apiHost?: string;
  logger: Logger;
  /** Parts to run; default defaultComponents(). */
  components?: ComponentStarter[];
}

export interface ControlPlane {
  nc: NatsConnection;
  api: ApiServer;
  service: ResourceService;
  /** Names of the started components, in start order. */
  components: string[];
  /** The metrics every component records into, served on the API's /metrics. */
  metrics: ControlPlaneMetrics;
  stop(): Promise<void>;
}

/** Default API port: env MI_API_PORT, else 8090. */
export function defaultApiPort(env: Record<string, string | undefined> = process.env): number {
  const v = env.MI_API_PORT;
  return v !== undefined && v !== '' ? Number(v) : 8090;
}

/** Starts the control plane; on failure stops whatever it already started and rethrows. */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const log = opts.logger.child({ component: 'control-plane' });
  const nc = await connectNats({ url: opts.natsUrl, name: 'mi-control-plane', logger: opts.logger, auth: opts.natsAuth, firstConnectWaitMs: opts.natsFirstConnectWaitMs });
  // One registry per control plane: the components' families and the API's, one /metrics.
  const metrics = createControlPlaneMetrics();
  const running: { name: string; c: RunningComponent }[] = [];
  let api: ApiServer | undefined;
  const stopAll = async () => {
    await api?.close().catch((err: Error) => log.warn('API close failed', { error: err.message }));
    for (const { name, c } of [...running].reverse()) {
      await c.stop().catch((err: Error) => log.warn('component stop failed', { name, error: err.message }));
    }
    await nc.drain().catch(() => nc.close());
  };
  try {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const env = process.env.MI_JETSTREAM_REPLICAS;
    const replicas = checkReplicas(opts.jetstreamReplicas ?? (env ? Number(env) : undefined));
    await ensureStreams(jsm, { replicas });
    await ensureBuckets(js, jsm, { replicas });
    // The Secret store too: on a cluster it must survive a server as the rest does.
    await ensureBucket(js, jsm, { name: CORE_OBJECTS_BUCKET, history: 1, storage: 'file', replicas });
    for (const starter of opts.components ?? defaultComponents()) {
      running.push({ name: starter.name, c: await starter.start({ nc, logger: opts.logger, dataDir: opts.dataDir, metrics }) });
      log.info('component started', { name: starter.name });
    }
    const service = await createNatsResourceService(nc, 'control-plane/api');
    const port = opts.apiPort ?? defaultApiPort();
    try {
      api = await startApiServer({ port, host: opts.apiHost ?? (process.env.MI_API_HOST || undefined), service, logger: opts.logger, metrics: createApiMetrics({ processMetrics: true, registry: metrics.registry }) });
    } catch (err) {
      if ((err as { code?: string }).code === 'EADDRINUSE') throw new PortBusyError(port, 'Choose another API port with --api-port or MI_API_PORT.');
      throw err;
    }
    log.info('control-plane API listening', { url: api.url });
    return { nc, api, service, components: running.map((r) => r.name), metrics, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
