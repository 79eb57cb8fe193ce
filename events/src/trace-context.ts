// W3C Trace Context (`traceparent`): parse and format, shared by the gateway (incoming requests,
// the header sent to engines) and the control plane (API requests, decision envelopes).
// Rules (w3c trace-context level 1 §3.2): `version-traceid-parentid-flags`, lowercase hex;
// version `ff` is invalid; all-zero trace or parent ids are invalid; version 00 is exactly 55
// characters; a higher version is read by its first four fields and may only continue with `-`.

/** A valid incoming or outgoing trace context. */
export interface TraceParent {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** 16 lowercase hex digits, not all zero: the caller's span. */
  parentId: string;
  /** The 8-bit trace-flags; bit 0 is `sampled`. */
  flags: number;
}

/** Length of a version-00 traceparent. */
export const TRACEPARENT_LENGTH = 55;

const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

// Lowercase hex only: [0-9a-f].
function isHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Parses a traceparent header value; null when absent or invalid (the caller starts a new trace). */
export function parseTraceparent(value: string | string[] | undefined): TraceParent | null {
  // Several traceparent headers are ambiguous: treated as none.
  if (typeof value !== 'string') return null;
  const v = value.length > TRACEPARENT_LENGTH ? value.trim() : value;
  if (v.length < TRACEPARENT_LENGTH) return null;
  if (v.charCodeAt(2) !== 45 || v.charCodeAt(35) !== 45 || v.charCodeAt(52) !== 45) return null;
  if (!isHex(v, 0, 2) || !isHex(v, 3, 35) || !isHex(v, 36, 52) || !isHex(v, 53, 55)) return null;
  const version = v.slice(0, 2);
  if (version === 'ff') return null;
  if (version === '00') {
    if (v.length !== TRACEPARENT_LENGTH) return null;
  } else if (v.length > TRACEPARENT_LENGTH && v.charCodeAt(55) !== 45) return null;
  const traceId = v.slice(3, 35);
  const parentId = v.slice(36, 52);
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return null;
  return { traceId, parentId, flags: parseInt(v.slice(53, 55), 16) };
}

/** The version-00 traceparent of a span `spanId` in trace `traceId`. */
export function formatTraceparent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${(flags & 0xff).toString(16).padStart(2, '0')}`;
}

/** True when the trace-flags ask for the trace to be recorded. */
export function isSampled(flags: number): boolean {
  return (flags & 1) === 1;
}

/** The trace id of a traceparent value, or undefined when it is not a valid one. */
export function traceIdOf(value: string | undefined): string | undefined {
  return value === undefined ? undefined : parseTraceparent(value)?.traceId;
}
