// Prometheus metrics of the control-plane API, on a per-server Registry (never the global
// default, so two servers in one process, e.g. in tests, do not collide).
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'code'>;
  duration: Histogram<'method' | 'route'>;
  applied: Counter<'kind' | 'result'>;
}

/** Creates the API's metrics on `registry` (default a fresh one; process metrics included when `processMetrics`). */
export function createApiMetrics(opts: { processMetrics?: boolean; registry?: Registry } = {}): ApiMetrics {
  const registry = opts.registry ?? new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'mi_api_' });
  return {
    registry,
    requests: new Counter({
      name: 'mi_api_requests_total',
      help: 'HTTP requests served by the control-plane API, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'code'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'mi_api_request_duration_seconds',
      help: 'Time to serve a control-plane API request.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    applied: new Counter({
      name: 'mi_api_resources_applied_total',
      help: 'Resources applied through the API, by kind and result (created, configured, unchanged).',
      labelNames: ['kind', 'result'],
      registers: [registry],
    }),
  };
}
