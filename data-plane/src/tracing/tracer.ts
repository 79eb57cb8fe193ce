// The gateway's request tracing: one RequestTrace per proxied request while an OTLP endpoint is
// configured (none otherwise: the proxy holds `null` and allocates nothing). A request yields
// up to three spans: `route` (the whole request, SERVER, child of the client's traceparent) and
// its children `schedule` (the endpoint pick) and `upstream` (CLIENT, first connect to the end
// of the response, with a `first_byte` event); the engine is sent a traceparent whose parent is
// the upstream span. The RequestTrace itself is what is queued: its spans are written as JSON
// only in the exporter's batch, off the request path (otlp-json.ts).
import { formatTraceparent, isSampled, parseTraceparent } from '@matrixinfer/events';
import type { IdSource } from './ids.js';
import { TracingConfigError } from './errors.js';

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
  readonly startMs: number;
  scheduleStartMs = -1;
  scheduleEndMs = -1;
  upstreamStartMs = -1;
  // Filled by finish().
  endMs = -1;
  firstByteMs = -1;
  status = 0;
  model = '';
  route: string | undefined = undefined;
  endpoint: string | undefined = undefined;
  requestId = '';
  attempts = 0;
  inputTokens = 0;
  outputTokens = 0;
  private upstreamHeader: string | null = null;

  constructor(traceId: string, routeSpanId: string, parentSpanId: string | undefined, upstreamSpanId: string, flags: number, startMs: number) {
    this.traceId = traceId;
    this.routeSpanId = routeSpanId;
    this.parentSpanId = parentSpanId;
    this.upstreamSpanId = upstreamSpanId;
    this.flags = flags;
    this.fresh = parentSpanId === undefined;
    this.startMs = startMs;
  }

  /** The traceparent sent to the engine: parent is the upstream span. */
  upstreamTraceparent(): string {
    return (this.upstreamHeader ??= formatTraceparent(this.traceId, this.upstreamSpanId, this.flags));
  }

  /** The traceparent of this gateway's route span (decision events carry it). */
  routeTraceparent(): string {
    return formatTraceparent(this.traceId, this.routeSpanId, this.flags);
  }

  /** What the request knew when it ended (positional: no object per request). */
  finish(endMs: number, firstByteMs: number, status: number, model: string, route: string | undefined, endpoint: string | undefined, requestId: string, attempts: number, inputTokens: number, outputTokens: number): void {
    this.endMs = endMs;
    this.firstByteMs = firstByteMs;
    this.status = status;
    this.model = model;
    this.route = route;
    this.endpoint = endpoint;
    this.requestId = requestId;
    this.attempts = attempts;
    this.inputTokens = inputTokens;
    this.outputTokens = outputTokens;
  }
}

/** Where finished traces go (the SpanExporter). */
export interface TraceSink {
  add(t: RequestTrace): void;
}

export interface TracerOptions {
  ids: IdSource;
  exporter: TraceSink;
  /**
   * Share of requests without a sampled caller context that start a trace here (parent-based
   * ratio sampling: a caller's sampled flag is always followed). Default 1.
   */
  sampleRate?: number;
  /** Uniform [0,1) draws for the sample rate. */
  random?: () => number;
}

/** Creates and ends request traces; one per gateway. */
export class GatewayTracer {
  private readonly o: TracerOptions;
  private readonly rate: number;
  private readonly random: () => number;

  constructor(opts: TracerOptions) {
    this.o = opts;
    this.rate = opts.sampleRate ?? 1;
    if (!(this.rate >= 0 && this.rate <= 1)) throw new TracingConfigError(`sampleRate must be in [0,1], got ${this.rate}`);
    this.random = opts.random ?? Math.random;
  }

  /** A trace for a request with this traceparent header, begun at `startMs`; null when the caller asked not to sample (its header is forwarded as it is). */
  begin(header: string | string[] | undefined, startMs: number): RequestTrace | null {
    const ids = this.o.ids;
    const incoming = parseTraceparent(header);
    if (incoming !== null && !isSampled(incoming.flags)) return null;
    if (incoming === null && this.rate < 1 && !(this.random() < this.rate)) return null;
    if (incoming === null) return new RequestTrace(ids.traceId(), ids.spanId(), undefined, ids.spanId(), 1, startMs);
    return new RequestTrace(incoming.traceId, ids.spanId(), incoming.parentId, ids.spanId(), incoming.flags, startMs);
  }

  /** Queues a finished request's trace for export. */
  end(t: RequestTrace): void {
    this.o.exporter.add(t);
  }
}
