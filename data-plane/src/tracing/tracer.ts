// The gateway's request tracing: one RequestTrace per proxied request while an OTLP endpoint is
// configured (none otherwise: the proxy holds `null` and allocates nothing). A request yields
// three spans: `route` (the whole request, SERVER, child of the client's traceparent), and its
// children `schedule` (the endpoint pick) and `upstream` (CLIENT, first connect to the end of
// the response, with a `first_byte` event); the engine is sent a traceparent whose parent is
// the upstream span. Spans are built only when the request ends and are exported in batches.
import { formatTraceparent, isSampled, parseTraceparent } from '@matrixinfer/events';
import type { SpanExporter } from './exporter.js';
import type { IdSource } from './ids.js';
import { SPAN_KIND, STATUS_CODE, type SpanRecord } from './otlp-json.js';

/** Per-request trace state (stable shape; times are performance.now() ms, -1: not reached). */
export class RequestTrace {
  readonly traceId: string;
  /** The span of the whole request at this gateway. */
  readonly routeSpanId: string;
  /** The client's span (absent: this gateway started the trace). */
  readonly parentSpanId: string | undefined;
  readonly upstreamSpanId: string;
  readonly flags: number;
  /** The incoming trace context was missing or invalid: a new trace, and its tracestate is not forwarded. */
  readonly fresh: boolean;
  scheduleStartMs = -1;
  scheduleEndMs = -1;
  upstreamStartMs = -1;
  private upstreamHeader: string | null = null;

  constructor(traceId: string, routeSpanId: string, parentSpanId: string | undefined, upstreamSpanId: string, flags: number) {
    this.traceId = traceId;
    this.routeSpanId = routeSpanId;
    this.parentSpanId = parentSpanId;
    this.upstreamSpanId = upstreamSpanId;
    this.flags = flags;
    this.fresh = parentSpanId === undefined;
  }

  /** The traceparent sent to the engine: parent is the upstream span. */
  upstreamTraceparent(): string {
    return (this.upstreamHeader ??= formatTraceparent(this.traceId, this.upstreamSpanId, this.flags));
  }

  /** The traceparent of this gateway's route span (decision events carry it). */
  routeTraceparent(): string {
    return formatTraceparent(this.traceId, this.routeSpanId, this.flags);
  }
}

/** What the request knew when it ended. */
export interface RequestEnd {
  startMs: number;
  endMs: number;
  /** performance.now() ms of the first response byte; -1: none. */
  firstByteMs: number;
  status: number;
  model: string;
  route?: string;
  endpoint?: string;
  requestId: string;
  attempts: number;
  inputTokens: number;
  outputTokens: number;
}

export interface TracerOptions {
  ids: IdSource;
  exporter: SpanExporter;
  /** Epoch ms of performance.now() = 0 (performance.timeOrigin). */
  timeOriginMs: number;
}

/** Creates and ends request traces; one per gateway. */
export class GatewayTracer {
  private readonly o: TracerOptions;

  constructor(opts: TracerOptions) {
    this.o = opts;
  }

  /** A trace for a request with this traceparent header; null when the caller asked not to sample (its header is forwarded as it is). */
  begin(header: string | string[] | undefined): RequestTrace | null {
    const ids = this.o.ids;
    const incoming = parseTraceparent(header);
    if (incoming !== null && !isSampled(incoming.flags)) return null;
    if (incoming === null) return new RequestTrace(ids.traceId(), ids.spanId(), undefined, ids.spanId(), 1);
    return new RequestTrace(incoming.traceId, ids.spanId(), incoming.parentId, ids.spanId(), incoming.flags);
  }

  /** Builds the request's spans and queues them for export. */
  end(t: RequestTrace, e: RequestEnd): void {
    const at = this.o.timeOriginMs;
    const status = e.status >= 500 || e.status === 0 ? STATUS_CODE.error : STATUS_CODE.unset;
    const common = { 'mi.model': e.model, 'mi.route': e.route, 'mi.request_id': e.requestId };
    const spans: SpanRecord[] = [
      {
        traceId: t.traceId, spanId: t.routeSpanId, parentSpanId: t.parentSpanId, name: 'route', kind: SPAN_KIND.server,
        startMs: at + e.startMs, endMs: at + e.endMs, status,
        attributes: {
          ...common, 'mi.endpoint': e.endpoint, 'http.response.status_code': e.status, 'mi.attempts': e.attempts,
          'gen_ai.usage.input_tokens': e.inputTokens, 'gen_ai.usage.output_tokens': e.outputTokens,
        },
      },
    ];
    if (t.scheduleStartMs >= 0) {
      spans.push({
        traceId: t.traceId, spanId: this.o.ids.spanId(), parentSpanId: t.routeSpanId, name: 'schedule', kind: SPAN_KIND.internal,
        startMs: at + t.scheduleStartMs, endMs: at + (t.scheduleEndMs >= 0 ? t.scheduleEndMs : t.scheduleStartMs), status: STATUS_CODE.unset,
        attributes: { ...common, 'mi.endpoint': e.endpoint },
      });
    }
    if (t.upstreamStartMs >= 0) {
      spans.push({
        traceId: t.traceId, spanId: t.upstreamSpanId, parentSpanId: t.routeSpanId, name: 'upstream', kind: SPAN_KIND.client,
        startMs: at + t.upstreamStartMs, endMs: at + e.endMs, status,
        attributes: { ...common, 'mi.endpoint': e.endpoint, 'http.response.status_code': e.status, 'mi.attempts': e.attempts },
        events: e.firstByteMs >= 0 ? [{ name: 'first_byte', timeMs: at + e.firstByteMs }] : [],
      });
    }
    this.o.exporter.add(spans);
  }
}
