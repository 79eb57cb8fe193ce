// Stream, subject and bucket names of architecture.md. They are part of the public interface:
// users follow the system with `nats sub 'mi.decisions.>'`, so change none of them lightly.

/** Streams of the event log, by short name. */
export const STREAMS = {
  desired: 'MI_DESIRED',
  observed: 'MI_OBSERVED',
  decisions: 'MI_DECISIONS',
  metrics: 'MI_METRICS',
} as const;

export type StreamKey = keyof typeof STREAMS;

/** KV buckets: materialized views and live configuration. */
export const BUCKETS = {
  routes: 'mi-routes',
  status: 'mi-status',
  config: 'mi-config',
} as const;

/** Subject prefix of every MatrixInfer subject. */
export const SUBJECT_ROOT = 'mi';

/** Namespace used when a resource does not name one (as Kubernetes does). */
export const DEFAULT_NAMESPACE = 'default';

// A subject token may not be empty nor hold '.', '*', '>' or whitespace: those would split or
// widen the subject. Resource names are DNS-1123 labels, so they never need escaping.
const TOKEN = /^[^.*>\s]+$/;

/** True when `s` can be used as one NATS subject token. */
export function isSubjectToken(s: string): boolean {
  return TOKEN.test(s);
}

function token(s: string, what: string): string {
  if (!isSubjectToken(s)) throw new TypeError(`${what} ${JSON.stringify(s)} is not a valid NATS subject token`);
  return s;
}

/** `mi.desired.<kind>.<namespace>.<name>` for a resource; kind is lower-cased. */
export function desiredSubject(kind: string, namespace: string, name: string): string {
  return `${SUBJECT_ROOT}.desired.${token(kind.toLowerCase(), 'kind')}.${token(namespace, 'namespace')}.${token(name, 'name')}`;
}

/** `mi.observed.<kind>.<namespace>.<name>[.<instance>]`. */
export function observedSubject(kind: string, namespace: string, name: string, instance?: string): string {
  const base = `${SUBJECT_ROOT}.observed.${token(kind.toLowerCase(), 'kind')}.${token(namespace, 'namespace')}.${token(name, 'name')}`;
  return instance === undefined ? base : `${base}.${token(instance, 'instance')}`;
}

/** `mi.decisions.<component>.<namespace>.<name>`. */
export function decisionSubject(component: string, namespace: string, name: string): string {
  return `${SUBJECT_ROOT}.decisions.${token(component, 'component')}.${token(namespace, 'namespace')}.${token(name, 'name')}`;
}

/** `mi.metrics.<source>.<namespace>.<name>`. */
export function metricsSubject(source: string, namespace: string, name: string): string {
  return `${SUBJECT_ROOT}.metrics.${token(source, 'source')}.${token(namespace, 'namespace')}.${token(name, 'name')}`;
}

/** `mi.metrics.external.<namespace>.<binding>`: the external (PromQL) metric values of one AutoscalingPolicyBinding. */
export function externalMetricsSubject(namespace: string, binding: string): string {
  return metricsSubject('external', namespace, binding);
}

/** Key of a resource's entry in the `mi-status` bucket: `<kind>.<namespace>.<name>`. */
export function statusKey(kind: string, namespace: string, name: string): string {
  return `${kind.toLowerCase()}.${token(namespace, 'namespace')}.${token(name, 'name')}`;
}

/** Parsed form of any `mi.<stream>.<a>.<b>.<c>[.<d>]` subject, or null when it is not ours. */
export interface ParsedSubject {
  stream: StreamKey;
  /** kind for desired/observed, component for decisions, source for metrics. */
  category: string;
  namespace: string;
  name: string;
  instance?: string;
}

/** Inverse of the subject builders above. */
export function parseSubject(subject: string): ParsedSubject | null {
  const parts = subject.split('.');
  if (parts[0] !== SUBJECT_ROOT || parts.length < 5 || parts.length > 6) return null;
  const stream = parts[1] as StreamKey;
  if (!(stream in STREAMS)) return null;
  const parsed: ParsedSubject = { stream, category: parts[2], namespace: parts[3], name: parts[4] };
  if (parts.length === 6) parsed.instance = parts[5];
  return parsed;
}
