// The parts of the control plane that run inside one process, in start order. Each is started
// with the shared NATS connection and stopped in reverse order.
import { openCoreObjectStore } from '../api/core-store.js';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'winston';
import { startLocalActuator } from '../actuator/actuator.js';
import { startAutoscaler } from '../autoscaler/runner/index.js';
import { startCollector } from '../collector/collector.js';
import { startControllers } from '../controllers/index.js';
import { startEndpointController } from '../controllers/endpoints/runner.js';
import { startExternalMetrics } from '../external/runner.js';
import { startProjector } from '../projector/index.js';
import type { ControlPlaneMetrics } from '../observability/metrics.js';

/** What a running part offers the composition: a way to stop it. */
export interface RunningComponent {
  stop(): Promise<void>;
}

export interface ComponentContext {
  nc: NatsConnection;
  logger: Logger;
  dataDir: string;
  /** The control plane's metrics (served on the API's /metrics); absent: nothing is recorded. */
  metrics?: ControlPlaneMetrics;
}

/** One part: a stable name (for logs and errors) and how to start it. */
export interface ComponentStarter {
  name: string;
  start(ctx: ComponentContext): Promise<RunningComponent>;
}

/** Settings of the default parts. */
export interface DefaultComponentsOptions {
  /** Prometheus base URL for policy metrics with a PromQL `query` (`--prometheus-url`, env MI_PROMETHEUS_URL); absent: such policies hold, saying it is not configured. */
  prometheusUrl?: string;
}

/** The embedded default: controllers, projector, autoscaler, external metrics, local actuator, collector, endpoint controller. */
export function defaultComponents(opts: DefaultComponentsOptions = {}): ComponentStarter[] {
  return [
    // Streams and buckets are ensured once by startControlPlane before any part starts.
    { name: 'controllers', start: (c) => startControllers({ nc: c.nc, logger: c.logger, ensure: false, metrics: c.metrics }) },
    { name: 'projector', start: (c) => startProjector({ nc: c.nc, logger: c.logger, ensure: false, metrics: c.metrics }) },
    { name: 'autoscaler', start: (c) => startAutoscaler({ nc: c.nc, logger: c.logger, ensure: false, metrics: c.metrics }) },
    // PromQL queries of policies -> mi.metrics.external.<ns>.<binding>, read by the autoscaler.
    { name: 'external-metrics', start: (c) => startExternalMetrics({ nc: c.nc, logger: c.logger, prometheusUrl: opts.prometheusUrl, metrics: c.metrics }) },
    // Signals are handled by `mi up`, which stops everything in order.
    // env valueFrom/envFrom read the Secrets and ConfigMaps `mi apply` stored (bucket mi-secrets).
    { name: 'actuator', start: async (c) => startLocalActuator({ nc: c.nc, dataDir: c.dataDir, logger: c.logger, handleSignals: false, envSources: await openCoreObjectStore(c.nc, { ensure: true }), metrics: c.metrics }) },
    { name: 'collector', start: (c) => startCollector({ nc: c.nc, logger: c.logger, metrics: c.metrics }) },
    // Health after ready and live LoRA adapters of every ready endpoint.
    { name: 'endpoints', start: (c) => startEndpointController({ nc: c.nc, logger: c.logger, metrics: c.metrics }) },
  ];
}
