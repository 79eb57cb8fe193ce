// Public entry of the projector: start it on a NATS connection; the pure projection for
// `mi replay` (fold events, then project routes and statuses).
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ensureBuckets, ensureStreams } from '@matrixinfer/events';
import type { Logger } from 'winston';
import type { ControlPlaneMetrics } from '../observability/metrics.js';
import { startProjectorRunner } from './runner.js';

export interface StartProjectorOptions {
  nc: NatsConnection;
  logger: Logger;
  /** Create the streams and buckets when missing (idempotent); default true. */
  ensure?: boolean;
  /** Propagation latency, KV writes and tail lag are recorded here (none: not recorded). */
  metrics?: ControlPlaneMetrics;
}

/** Starts the projector; resolves once mi-routes and mi-status match the streams. */
export async function startProjector(opts: StartProjectorOptions): Promise<{ stop(): Promise<void> }> {
  const js = jetstream(opts.nc);
  if (opts.ensure !== false) {
    const jsm = await jetstreamManager(opts.nc);
    await ensureStreams(jsm);
    await ensureBuckets(js, jsm);
  }
  return startProjectorRunner({ js, logger: opts.logger, metrics: opts.metrics });
}

export { foldProjector, initialProjectorState, type ProjectorEvent, type ProjectorState } from './state.js';
export { projectRoutes } from './routes.js';
export { projectStatus } from './status.js';
export { durationMs } from './duration.js';
