// OTLP/HTTP JSON encoding of finished spans (opentelemetry-proto, JSON protobuf encoding):
// trace and span ids are hex strings (not base64), 64-bit integers such as unix-nano times are
// decimal strings, enum fields are numbers, and the body is ExportTraceServiceRequest
// `{ resourceSpans: [{ resource, scopeSpans: [{ scope, spans }] }] }`. Pure: no I/O.

/** OTLP SpanKind values. */
export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

/** OTLP Status.code values. */
export const STATUS_CODE = { unset: 0, ok: 1, error: 2 } as const;

/** An attribute value the gateway records. */
export type AttrValue = string | number | boolean;

/** One finished span, as the tracer records it (times in epoch ms, fractional). */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** Absent: a root span. */
  parentSpanId?: string;
  name: string;
  kind: number;
  startMs: number;
  endMs: number;
  attributes: Record<string, AttrValue | undefined>;
  events?: Array<{ name: string; timeMs: number }>;
  status: number;
}

/** Epoch ms (fractional) as OTLP unix nanos: a decimal string (a JS number cannot hold it exactly). */
export function unixNanos(ms: number): string {
  const micros = Math.round(ms * 1000);
  return `${micros}000`;
}

function anyValue(v: AttrValue): Record<string, unknown> {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  // int64 travels as a string in OTLP JSON.
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

function attributes(attrs: Record<string, AttrValue | undefined>): Array<{ key: string; value: Record<string, unknown> }> {
  const out: Array<{ key: string; value: Record<string, unknown> }> = [];
  for (const key in attrs) {
    const v = attrs[key];
    if (v !== undefined) out.push({ key, value: anyValue(v) });
  }
  return out;
}

/** The ExportTraceServiceRequest body for `spans` of one resource and instrumentation scope. */
export function encodeTraces(resource: Record<string, AttrValue>, scope: { name: string; version?: string }, spans: readonly SpanRecord[]): unknown {
  return {
    resourceSpans: [
      {
        resource: { attributes: attributes(resource) },
        scopeSpans: [
          {
            scope,
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId !== undefined ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: unixNanos(s.startMs),
              endTimeUnixNano: unixNanos(s.endMs),
              attributes: attributes(s.attributes),
              events: (s.events ?? []).map((e) => ({ name: e.name, timeUnixNano: unixNanos(e.timeMs) })),
              status: { code: s.status },
            })),
          },
        ],
      },
    ],
  };
}
