// Prometheus metrics of one gateway, in its own Registry (several gateways can share a process).
// Label children are bound once per (model, code) and cached: labels() costs a map walk.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface ModelChildren {
  duration: Histogram.Internal<'model'>;
  ttfb: Histogram.Internal<'model'>;
  tokensIn: Counter.Internal;
  tokensOut: Counter.Internal;
  inFlight: Gauge.Internal<'model'>;
  byCode: Map<number, Counter.Internal>;
}

/** The gateway's metric set. Model labels are only routable model names (bounded). */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'model' | 'code'>;
  private readonly duration: Histogram<'model'>;
  private readonly ttfb: Histogram<'model'>;
  private readonly tokensIn: Counter<'model'>;
  private readonly tokensOut: Counter<'model'>;
  private readonly inFlight: Gauge<'model'>;
  readonly retries: Counter<string>;
  private readonly upstreamErrors: Counter<'kind'>;
  private readonly children = new Map<string, ModelChildren>();

  constructor(defaultMetrics = false) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'mi_gateway_requests_total', help: 'Requests by model and HTTP status', labelNames: ['model', 'code'], registers });
    this.duration = new Histogram({ name: 'mi_gateway_request_duration_seconds', help: 'Request duration until the last byte', labelNames: ['model'], buckets: LATENCY_BUCKETS, registers });
    this.ttfb = new Histogram({ name: 'mi_gateway_time_to_first_byte_seconds', help: 'Time until the first response body byte from the upstream', labelNames: ['model'], buckets: LATENCY_BUCKETS, registers });
    this.tokensIn = new Counter({ name: 'mi_gateway_input_tokens_total', help: 'Prompt tokens reported by upstream usage', labelNames: ['model'], registers });
    this.tokensOut = new Counter({ name: 'mi_gateway_output_tokens_total', help: 'Completion tokens reported by upstream usage', labelNames: ['model'], registers });
    this.inFlight = new Gauge({ name: 'mi_gateway_in_flight_requests', help: 'Requests being proxied now', labelNames: ['model'], registers });
    this.retries = new Counter({ name: 'mi_gateway_retries_total', help: 'Upstream attempts retried on another endpoint', registers });
    this.upstreamErrors = new Counter({ name: 'mi_gateway_upstream_errors_total', help: 'Failed upstream attempts by kind', labelNames: ['kind'], registers });
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'mi_gateway_' });
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
  upstreamError(kind: 'connect' | 'status' | 'timeout'): void {
    this.upstreamErrors.labels(kind).inc();
  }
}
