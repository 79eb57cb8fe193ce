// Public entry of the gateway's tracing: W3C trace context in, spans out over OTLP/HTTP JSON.
import { Counter, type Registry } from 'prom-client';
import type { Logger } from 'winston';
import { SpanExporter, type PostJson } from './exporter.js';
import { IdSource } from './ids.js';
import { GatewayTracer, type RequestTrace } from './tracer.js';
import { requestSpansJson, spanCount } from './otlp-json.js';

export { resolveOtlpTracesUrl } from './endpoint.js';
export { TracingConfigError, TRACING_ERROR_CODES } from './errors.js';
export { exportBody, requestSpansJson, spanCount, unixNanos, SPAN_KIND, STATUS_CODE } from './otlp-json.js';
export { GatewayTracer, RequestTrace } from './tracer.js';
export { SpanExporter } from './exporter.js';
export { IdSource } from './ids.js';

/** A gateway's tracing: the tracer the proxy uses and the exporter behind it. */
export interface Tracing {
  tracer: GatewayTracer;
  exporter: SpanExporter<RequestTrace>;
  /** Exports what is queued and stops. */
  close(): Promise<void>;
}

export interface StartTracingOptions {
  url: string;
  /** Gateway replica name (resource attribute service.instance.id). */
  gateway: string;
  registry: Registry;
  logger: Logger;
  periodMs?: number;
  maxQueue?: number;
  /** Share of requests without a sampled caller that are traced (default 1). */
  sampleRate?: number;
  random?: () => number;
  post?: PostJson;
}

/** Builds the tracer and its batching exporter, with mi_gateway_trace_* counters in `registry`. */
export function startTracing(o: StartTracingOptions): Tracing {
  const exported = new Counter({ name: 'mi_gateway_trace_spans_exported_total', help: 'Spans accepted by the OTLP collector', registers: [o.registry] });
  const dropped = new Counter({ name: 'mi_gateway_trace_spans_dropped_total', help: 'Spans dropped: export queue full or export failed', labelNames: ['reason'], registers: [o.registry] });
  const ids = new IdSource();
  const at = performance.timeOrigin;
  const exporter = new SpanExporter<RequestTrace>({
    url: o.url,
    resource: { 'service.name': 'mi-gateway', 'service.instance.id': o.gateway },
    scope: { name: '@matrixinfer/data-plane' },
    counters: { exported: (n) => exported.inc(n), dropped: (reason, n) => dropped.labels(reason).inc(n) },
    logger: o.logger,
    periodMs: o.periodMs,
    maxQueue: o.maxQueue,
    post: o.post,
    // The schedule span's id is drawn here, in the batch, not on the request path.
    encode: (t) => requestSpansJson(t, at, ids.spanId()),
    spans: spanCount,
  });
  const tracer = new GatewayTracer({ ids, exporter, sampleRate: o.sampleRate, random: o.random });
  return { tracer, exporter, close: () => exporter.close() };
}
