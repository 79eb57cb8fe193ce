// Tolerant decoding of MI_METRICS messages: samples are published as bare JSON today, and may
// later be wrapped in the event envelope `{ id, type, time, source, subject, data }`. Both are
// accepted; anything else is reported as null (the caller counts and skips it).
import { parseSubject, type EngineSample, type ExternalSample, type GatewaySample } from '@matrixinfer/events';

export type DecodedSample =
  | { source: 'engine'; namespace: string; sample: EngineSample }
  | { source: 'gateway'; namespace: string; sample: GatewaySample }
  | { source: 'external'; namespace: string; sample: ExternalSample };

const decoder = new TextDecoder();

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(o: Record<string, unknown>, k: string): boolean {
  return typeof o[k] === 'number' && Number.isFinite(o[k]);
}

function str(o: Record<string, unknown>, k: string): boolean {
  return typeof o[k] === 'string' && o[k] !== '';
}

// One result of an external sample: a finite value, or an error with a code and a message.
function isExternalResult(v: unknown): boolean {
  if (!isObject(v) || !str(v, 'metricName') || !str(v, 'query')) return false;
  if (num(v, 'value')) return true;
  return isObject(v.error) && str(v.error, 'code') && typeof v.error.message === 'string';
}

/** The sample object of a payload: the payload itself, or its `data` when it is an envelope. */
function unwrap(v: Record<string, unknown>): Record<string, unknown> | null {
  if (str(v, 'id') && str(v, 'type') && 'data' in v) return isObject(v.data) ? v.data : null;
  return v;
}

/** Decodes one MI_METRICS message on `subject` (`mi.metrics.<source>.<ns>.<name>`); null when it is not a sample we know. */
export function decodeSample(subject: string, data: Uint8Array | string): DecodedSample | null {
  const parsed = parseSubject(subject);
  if (parsed === null || parsed.stream !== 'metrics') return null;
  let v: unknown;
  try {
    v = JSON.parse(typeof data === 'string' ? data : decoder.decode(data));
  } catch {
    return null;
  }
  if (!isObject(v)) return null;
  const s = unwrap(v);
  if (s === null || !num(s, 'timeMs')) return null;
  if (parsed.category === 'engine') {
    if (!str(s, 'target') || !str(s, 'endpoint') || !num(s, 'running') || !num(s, 'waiting')) return null;
    return { source: 'engine', namespace: parsed.namespace, sample: s as unknown as EngineSample };
  }
  if (parsed.category === 'gateway') {
    if (!str(s, 'model') || !str(s, 'gateway') || !num(s, 'inFlight')) return null;
    return { source: 'gateway', namespace: parsed.namespace, sample: s as unknown as GatewaySample };
  }
  if (parsed.category === 'external') {
    if (!str(s, 'binding') || !Array.isArray(s.results) || !s.results.every(isExternalResult)) return null;
    return { source: 'external', namespace: parsed.namespace, sample: s as unknown as ExternalSample };
  }
  return null;
}
