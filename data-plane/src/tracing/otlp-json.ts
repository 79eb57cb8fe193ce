// OTLP/HTTP JSON encoding of finished request traces (opentelemetry-proto, JSON protobuf
// encoding): trace and span ids are hex strings (not base64), 64-bit integers such as unix-nano
// times are decimal strings, enum fields are numbers, and the body is ExportTraceServiceRequest
// `{ resourceSpans: [{ resource, scopeSpans: [{ scope, spans }] }] }`. Written as strings
// directly (no intermediate objects per span): this runs for every traced request. Pure.
import type { RequestTrace } from './tracer.js';

/** OTLP SpanKind values. */
export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

/** OTLP Status.code values. */
export const STATUS_CODE = { unset: 0, ok: 1, error: 2 } as const;

/** An attribute value of the resource. */
export type AttrValue = string | number | boolean;

/** Epoch ms (fractional) as OTLP unix nanos: a decimal string (a JS number cannot hold it exactly). */
export function unixNanos(ms: number): string {
  return `${Math.round(ms * 1000)}000`;
}

function anyValue(v: AttrValue): string {
  if (typeof v === 'string') return `{"stringValue":${JSON.stringify(v)}}`;
  if (typeof v === 'boolean') return `{"boolValue":${v}}`;
  // int64 travels as a string in OTLP JSON.
  return Number.isInteger(v) ? `{"intValue":"${v}"}` : `{"doubleValue":${v}}`;
}

function attr(key: string, v: AttrValue | undefined): string {
  return v === undefined ? '' : `{"key":"${key}","value":${anyValue(v)}},`;
}

function attrs(parts: string): string {
  // Each attribute ends with a comma; the last one is dropped.
  return `[${parts.length > 0 ? parts.slice(0, -1) : ''}]`;
}

// Default values may be left out of OTLP JSON (proto3): an UNSET status is not written.
function statusJson(code: number): string {
  return code === STATUS_CODE.unset ? '' : `,"status":{"code":${code}}`;
}

/** Spans a finished request yields (route, plus schedule and upstream when reached). */
export function spanCount(t: RequestTrace): number {
  return 1 + (t.scheduleStartMs >= 0 ? 1 : 0) + (t.upstreamStartMs >= 0 ? 1 : 0);
}

/**
 * The JSON of a finished request's spans, comma-separated: `route` (SERVER, child of the
 * caller's span), `schedule` (INTERNAL) and `upstream` (CLIENT, with a `first_byte` event),
 * both children of route. `at` is the epoch ms of performance.now() = 0.
 */
export function requestSpansJson(t: RequestTrace, at: number, scheduleSpanId: string): string {
  const status = t.status >= 500 || t.status === 0 ? STATUS_CODE.error : STATUS_CODE.unset;
  const end = unixNanos(at + t.endMs);
  // The request's attributes are on the route span only; its children carry what is theirs (the
  // endpoint picked, the upstream status): about a third fewer bytes per request than repeating them.
  const endpoint = attr('mi.endpoint', t.endpoint);
  const parent = t.parentSpanId !== undefined ? `"parentSpanId":"${t.parentSpanId}",` : '';
  let out =
    `{"traceId":"${t.traceId}","spanId":"${t.routeSpanId}",${parent}"name":"route","kind":${SPAN_KIND.server},` +
    `"startTimeUnixNano":"${unixNanos(at + t.startMs)}","endTimeUnixNano":"${end}","attributes":${attrs(
      attr('mi.model', t.model) + attr('mi.route', t.route) + attr('mi.request_id', t.requestId) + endpoint +
        attr('http.response.status_code', t.status) + attr('mi.attempts', t.attempts) + attr('gen_ai.usage.input_tokens', t.inputTokens) + attr('gen_ai.usage.output_tokens', t.outputTokens),
    )}${statusJson(status)}}`;
  if (t.scheduleStartMs >= 0) {
    out +=
      `,{"traceId":"${t.traceId}","spanId":"${scheduleSpanId}","parentSpanId":"${t.routeSpanId}","name":"schedule","kind":${SPAN_KIND.internal},` +
      `"startTimeUnixNano":"${unixNanos(at + t.scheduleStartMs)}","endTimeUnixNano":"${unixNanos(at + (t.scheduleEndMs >= 0 ? t.scheduleEndMs : t.scheduleStartMs))}",` +
      `"attributes":${attrs(endpoint)}}`;
  }
  if (t.upstreamStartMs >= 0) {
    const ev = t.firstByteMs >= 0 ? `,"events":[{"name":"first_byte","timeUnixNano":"${unixNanos(at + t.firstByteMs)}"}]` : '';
    out +=
      `,{"traceId":"${t.traceId}","spanId":"${t.upstreamSpanId}","parentSpanId":"${t.routeSpanId}","name":"upstream","kind":${SPAN_KIND.client},` +
      `"startTimeUnixNano":"${unixNanos(at + t.upstreamStartMs)}","endTimeUnixNano":"${end}",` +
      `"attributes":${attrs(endpoint + attr('http.response.status_code', t.status) + attr('mi.attempts', t.attempts))}${ev}${statusJson(status)}}`;
  }
  return out;
}

/** The ExportTraceServiceRequest body around comma-separated span JSON. */
export function exportBody(resource: Record<string, AttrValue>, scope: { name: string; version?: string }, spansJson: string): string {
  let r = '';
  for (const k in resource) r += attr(k, resource[k]);
  return `{"resourceSpans":[{"resource":{"attributes":${attrs(r)}},"scopeSpans":[{"scope":${JSON.stringify(scope)},"spans":[${spansJson}]}]}]}`;
}
