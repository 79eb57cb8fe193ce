// How `mi events` shows one event: time, subject, type and a short summary in words. Pure.
import type { Envelope, ReplayedEvent } from '@matrixinfer/events';

/** An event as `mi events` handles it: which stream it came from, plus the replayed fields. */
export interface ShownEvent extends ReplayedEvent {
  stream: string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

const MAX_SUMMARY = 160;

/** A one-line summary of an event's data: its reason when it has one, else the telling fields. */
export function summarize(env: Envelope): string {
  const d = (env.data && typeof env.data === 'object' ? env.data : {}) as Record<string, unknown>;
  const md = (d.metadata && typeof d.metadata === 'object' ? d.metadata : {}) as Record<string, unknown>;
  let s: string;
  if (env.type === 'resource.applied' || env.type === 'resource.deleted') {
    const verb = env.type === 'resource.deleted' ? 'deleted' : `generation ${String(md.generation ?? '?')}`;
    s = `${String(d.kind)}/${String(md.name)} ${verb}`;
  } else if (env.type === 'metrics.engine') {
    // A bare engine sample (EngineSample): load of one replica.
    s = `${String(d.endpoint)} running ${String(d.running)} waiting ${String(d.waiting)} kv ${Math.round(Number(d.kvUsage) * 100)}%`;
  } else if (env.type === 'metrics.gateway') {
    // A bare gateway sample (GatewaySample): one gateway's load for one model.
    s = `${String(d.gateway)} ${String(d.model)} in flight ${String(d.inFlight)}, ${Number(d.requestsPerSecond).toFixed(1)} req/s`;
  } else if (env.type === 'metrics.external.sample' && Array.isArray(d.results)) {
    // An ExternalSample: each PromQL query of a binding's policy, its value or its error code.
    const results = (d.results as Record<string, unknown>[]).map((r) => {
      const e = r.error as { code?: unknown } | undefined;
      return `${String(r.metricName)} ${e ? `error ${String(e.code)}` : `= ${String(r.value)}`}`;
    });
    s = `${String(d.binding)}: ${results.join(', ')}`;
  } else if (typeof d.phase === 'string') {
    // Observation: phase of an instance, where it listens, why.
    s = [str(d.instance), d.phase, str(d.address), str(d.reason)].filter(Boolean).join(' ');
  } else if (str(d.reason)) {
    s = str(d.reason)!;
  } else if (str(d.message)) {
    s = str(d.message)!;
  } else {
    s = JSON.stringify(env.data) ?? '';
  }
  s = s.replace(/\s+/g, ' ');
  return s.length > MAX_SUMMARY ? `${s.slice(0, MAX_SUMMARY - 1)}…` : s;
}

/** `<stored time>  <subject>  <type>  <summary>`. */
export function formatEventLine(ev: ShownEvent): string {
  return `${new Date(ev.storedMs).toISOString()}  ${ev.subject}  ${ev.envelope.type}  ${summarize(ev.envelope)}`;
}

/** The `-o json` form: one JSON object per line, the envelope plus stream, seq and stored time. */
export function formatEventJson(ev: ShownEvent): string {
  return JSON.stringify({ stream: ev.stream, seq: ev.seq, stored: new Date(ev.storedMs).toISOString(), ...ev.envelope });
}

/** True when NATS subject `subject` matches `filter` (`*` one token, `>` the rest). */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}
