// What `mi top` shows, as one pure function of a snapshot: per Model backend its replicas
// (ready/desired, from the Model status) and load (running, waiting, KV use summed over the
// backend's endpoints from the collector's engine samples; in-flight and req/s from the
// gateways' samples of the served model), engine samples of targets no Model owns, and the
// most recent decisions. No I/O, no clock: the caller passes the snapshot and `nowMs`.
import type { EngineSample, GatewaySample, StoredResource } from '@matrixinfer/events';
import { summarize, type ShownEvent } from './event-lines.js';
import { renderTable } from './table.js';

/** An engine sample with the namespace of its subject. */
export interface NamespacedEngineSample extends EngineSample {
  namespace: string;
}

/** Everything one frame is drawn from. */
export interface TopSnapshot {
  /** Model resources with status. */
  models: StoredResource[];
  /** Latest sample per endpoint (older than the caller's window already dropped). */
  engines: NamespacedEngineSample[];
  /** Latest sample per gateway replica and model. */
  gateways: Array<GatewaySample & { namespace: string }>;
  /** Recent decisions, oldest first. */
  decisions: ShownEvent[];
  /** Where the data came from (header line). */
  source: string;
}

/** One row of the models table. */
export interface TopRow {
  namespace: string;
  model: string;
  backend: string;
  ready: number;
  desired: number;
  /** Endpoints with a fresh engine sample. */
  sampled: number;
  running: number;
  waiting: number;
  /** Mean KV cache use over the sampled endpoints (0-1); undefined: none sampled. */
  kvUsage: number | undefined;
  inFlight: number;
  requestsPerSecond: number;
}

interface Backend {
  name: string;
  replicas?: number;
  readyReplicas?: number;
}

function load(samples: readonly NamespacedEngineSample[]): Pick<TopRow, 'sampled' | 'running' | 'waiting' | 'kvUsage'> {
  let running = 0;
  let waiting = 0;
  let kv = 0;
  for (const s of samples) {
    running += s.running;
    waiting += s.waiting;
    kv += s.kvUsage;
  }
  return { sampled: samples.length, running, waiting, kvUsage: samples.length > 0 ? kv / samples.length : undefined };
}

/** The rows of a snapshot: one per Model backend (by namespace, model, backend), then sampled targets no Model owns. */
export function topRows(s: TopSnapshot): TopRow[] {
  const byTarget = new Map<string, NamespacedEngineSample[]>();
  for (const e of s.engines) {
    const k = `${e.namespace}/${e.target}`;
    const list = byTarget.get(k);
    if (list) list.push(e);
    else byTarget.set(k, [e]);
  }
  const traffic = new Map<string, { inFlight: number; rps: number }>();
  for (const g of s.gateways) {
    const k = `${g.namespace}/${g.model}`;
    const t = traffic.get(k) ?? { inFlight: 0, rps: 0 };
    t.inFlight += g.inFlight;
    t.rps += g.requestsPerSecond;
    traffic.set(k, t);
  }
  const rows: TopRow[] = [];
  const owned = new Set<string>();
  const models = [...s.models].sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  for (const m of models) {
    const ns = m.metadata.namespace ?? 'default';
    const name = m.metadata.name;
    const spec = (m.spec ?? {}) as { backends?: Array<{ name: string; minReplicas?: number }> };
    const status = (m.status ?? {}) as { backendStatuses?: Backend[] };
    const statuses = new Map((status.backendStatuses ?? []).map((b) => [b.name, b]));
    // A Model's requests are counted under its served name; only the model name is known here.
    const t = traffic.get(`${ns}/${name}`);
    const backends = spec.backends ?? [];
    backends.forEach((b, i) => {
      const target = `${ns}/${name}-${b.name}`;
      owned.add(target);
      const st = statuses.get(b.name);
      rows.push({
        namespace: ns, model: name, backend: b.name,
        ready: st?.readyReplicas ?? 0, desired: st?.replicas ?? 0,
        ...load(byTarget.get(target) ?? []),
        // Gateway traffic is per model, not per backend: shown once, on the first backend.
        inFlight: i === 0 ? (t?.inFlight ?? 0) : 0, requestsPerSecond: i === 0 ? (t?.rps ?? 0) : 0,
      });
    });
  }
  for (const [target, samples] of [...byTarget].sort(([a], [b]) => a.localeCompare(b))) {
    if (owned.has(target)) continue;
    const [ns, name] = [target.slice(0, target.indexOf('/')), target.slice(target.indexOf('/') + 1)];
    rows.push({ namespace: ns, model: '-', backend: name, ready: samples.length, desired: samples.length, ...load(samples), inFlight: 0, requestsPerSecond: 0 });
  }
  return rows;
}

function pct(v: number | undefined): string {
  return v === undefined ? '-' : `${Math.round(v * 100)}%`;
}

/** One frame of `mi top` as text (no terminal control codes; the caller clears the screen on a TTY). */
export function renderTopFrame(s: TopSnapshot, nowMs: number, opts: { allNamespaces?: boolean; decisions?: number } = {}): string {
  const rows = topRows(s);
  const wide = opts.allNamespaces === true;
  const headers = [...(wide ? ['NAMESPACE'] : []), 'MODEL', 'BACKEND', 'READY', 'RUNNING', 'WAITING', 'KV', 'IN-FLIGHT', 'REQ/S'];
  const cells = rows.map((r) => [
    ...(wide ? [r.namespace] : []), r.model, r.backend, `${r.ready}/${r.desired}`,
    r.sampled > 0 ? String(r.running) : '-', r.sampled > 0 ? String(r.waiting) : '-', pct(r.kvUsage),
    String(r.inFlight), r.requestsPerSecond.toFixed(1),
  ]);
  const out = [`mi top  ${new Date(nowMs).toISOString()}  ${s.source}`, ''];
  out.push(rows.length > 0 ? renderTable(headers, cells) : 'No models.');
  const n = opts.decisions ?? 10;
  const recent = s.decisions.slice(-n);
  out.push('', `RECENT DECISIONS (last ${n})`);
  if (recent.length === 0) out.push('none');
  else out.push(renderTable(['TIME', 'SUBJECT', 'TYPE', 'SUMMARY'], recent.map((d) => [new Date(d.storedMs).toISOString().slice(11, 19), d.subject, d.envelope.type, summarize(d.envelope)])));
  return out.join('\n');
}
