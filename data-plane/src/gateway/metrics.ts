// Prometheus metrics of one gateway, in its own Registry (several gateways can share a process).
// Per-request metrics are fast-metrics.ts types (children bound once per model and code, updates
// are plain arithmetic); rare ones stay prom-client's.
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { FastCounter, FastGauge, FastHistogram, type CounterChild, type GaugeChild, type HistogramChild } from './fast-metrics.js';

/** Period of the event-loop lag sampler behind mi_gateway_nodejs_eventloop_lag_* (ms). */
export const EVENT_LOOP_SAMPLE_MS = 100;

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface ModelChildren {
  duration: HistogramChild;
  ttfb: HistogramChild;
  tokensIn: CounterChild;
  tokensOut: CounterChild;
  inFlight: GaugeChild;
  byCode: Map<number, CounterChild>;
}

/** The gateway's metric set. Model labels are only routable model names (bounded). */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: FastCounter;
  private readonly duration: FastHistogram;
  private readonly ttfb: FastHistogram;
  private readonly tokensIn: FastCounter;
  private readonly tokensOut: FastCounter;
  private readonly inFlight: FastGauge;
  readonly retries: Counter<string>;
  private readonly upstreamErrors: Counter<'kind'>;
  /** Outlier ejections by ModelServer and rule. */
  readonly ejections: Counter<'model_server' | 'rule'>;
  private readonly children = new Map<string, ModelChildren>();

  /** With `defaultMetrics`, also Node.js process metrics (heap, GC, event-loop lag sampled every EVENT_LOOP_SAMPLE_MS). */
  constructor(defaultMetrics = false) {
    const registers = [this.registry];
    const registry = this.registry;
    this.requests = new FastCounter({ name: 'mi_gateway_requests_total', help: 'Requests by model and HTTP status', labelNames: ['model', 'code'], registry });
    this.duration = new FastHistogram({ name: 'mi_gateway_request_duration_seconds', help: 'Request duration until the last byte', labelNames: ['model'], buckets: LATENCY_BUCKETS, registry });
    this.ttfb = new FastHistogram({ name: 'mi_gateway_time_to_first_byte_seconds', help: 'Time until the first response body byte from the upstream', labelNames: ['model'], buckets: LATENCY_BUCKETS, registry });
    this.tokensIn = new FastCounter({ name: 'mi_gateway_input_tokens_total', help: 'Prompt tokens reported by upstream usage', labelNames: ['model'], registry });
    this.tokensOut = new FastCounter({ name: 'mi_gateway_output_tokens_total', help: 'Completion tokens reported by upstream usage', labelNames: ['model'], registry });
    this.inFlight = new FastGauge({ name: 'mi_gateway_in_flight_requests', help: 'Requests being proxied now', labelNames: ['model'], registry });
    this.retries = new Counter({ name: 'mi_gateway_retries_total', help: 'Upstream attempts retried on another endpoint', registers });
    this.upstreamErrors = new Counter({ name: 'mi_gateway_upstream_errors_total', help: 'Failed upstream attempts by kind', labelNames: ['kind'], registers });
    this.ejections = new Counter({ name: 'mi_gateway_outlier_ejections_total', help: 'Endpoints ejected by passive outlier detection, by ModelServer and rule', labelNames: ['model_server', 'rule'], registers });
    // The event-loop lag monitor samples every 100 ms, not prom-client's 10 ms: at 10 ms its timer
    // woke an idle gateway 100 times a second (strace: 234 epoll_pwait calls per second idle, 45
    // with 100 ms), and a stall still shows whole in the sample it delays.
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'mi_gateway_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  }

  /** Bound children of one model label value ('' for requests that matched no model). */
  forModel(model: string): ModelChildren {
    let c = this.children.get(model);
    if (!c) {
      c = {
        duration: this.duration.labels(model),
        ttfb: this.ttfb.labels(model),
        tokensIn: this.tokensIn.labels(model),
        tokensOut: this.tokensOut.labels(model),
        inFlight: this.inFlight.labels(model),
        byCode: new Map(),
      };
      this.children.set(model, c);
    }
    return c;
  }

  /** Counts one finished request. */
  countRequest(c: ModelChildren, model: string, code: number): void {
    let child = c.byCode.get(code);
    if (!child) {
      child = this.requests.labels(model, String(code));
      c.byCode.set(code, child);
    }
    child.inc();
  }

  /** Counts one failed upstream attempt: `connect`, `status` (5xx), `timeout`. */
  upstreamError(kind: 'connect' | 'status' | 'timeout' | 'stalled'): void {
    this.upstreamErrors.labels(kind).inc();
  }
}
