// The sample book: recent engine samples per scale target and endpoint, and gateway samples
// per model and gateway, as read from MI_METRICS. `aggregateAt` turns them into the one
// TargetSample per target and tick that decide() consumes: at a time T, the newest sample of
// each endpoint (gateway) not older than the staleness bound, summed. Because it is a function
// of the book and T only, a restarted autoscaler rebuilds the same per-tick samples from the
// replayed stream. External (PromQL) samples are kept per binding and read by `externalAt`.
// Pure data structure; no I/O.
import type { EngineSample, ExternalSample, GatewaySample } from '@matrixinfer/events';
import { EXTERNAL_ERROR_CODES } from '../../external/errors.js';
import { ANY_METRIC_PREFIX, QUERY_METRIC_PREFIX } from '../metrics.js';
import type { MetricTarget, TargetSample } from '../types.js';
import type { DecodedSample } from './decode.js';

export interface SampleBook {
  /** `<ns>/<ModelInfer>` -> endpoint -> samples, oldest first. */
  engine: Map<string, Map<string, EngineSample[]>>;
  /** `<ns>/<model>` -> gateway -> samples, oldest first. */
  gateway: Map<string, Map<string, GatewaySample[]>>;
  /** `<ns>/<binding>` -> '' -> external samples, oldest first (one poller stream per binding). */
  external: Map<string, Map<string, ExternalSample[]>>;
}

/** A model whose gateway load counts towards a target, with the target's share of its traffic (0-1). */
export interface ModelShare {
  model: string;
  share: number;
}

/** An empty book. */
export function createSampleBook(): SampleBook {
  return { engine: new Map(), gateway: new Map(), external: new Map() };
}

function insert<T extends { timeMs: number }>(outer: Map<string, Map<string, T[]>>, key: string, inner: string, s: T): void {
  let byInner = outer.get(key);
  if (!byInner) outer.set(key, (byInner = new Map()));
  let list = byInner.get(inner);
  if (!list) byInner.set(inner, (list = []));
  // Samples nearly always arrive in order; keep the list sorted when one does not.
  let i = list.length;
  while (i > 0 && list[i - 1].timeMs > s.timeMs) i--;
  list.splice(i, 0, s);
}

/** Adds one decoded sample. */
export function addSample(book: SampleBook, d: DecodedSample): void {
  if (d.source === 'engine') insert(book.engine, `${d.namespace}/${d.sample.target}`, d.sample.endpoint, d.sample);
  else if (d.source === 'gateway') insert(book.gateway, `${d.namespace}/${d.sample.model}`, d.sample.gateway, d.sample);
  else insert(book.external, `${d.namespace}/${d.sample.binding}`, '', d.sample);
}

function pruneMap<T extends { timeMs: number }>(outer: Map<string, Map<string, T[]>>, beforeMs: number): void {
  for (const [key, byInner] of outer) {
    for (const [inner, list] of byInner) {
      let n = 0;
      while (n < list.length && list[n].timeMs <= beforeMs) n++;
      if (n > 0) list.splice(0, n);
      if (list.length === 0) byInner.delete(inner);
    }
    if (byInner.size === 0) outer.delete(key);
  }
}

/** Drops samples at or before `beforeMs` (callers pass a time older than any tick they will ask about minus the staleness bound). */
export function pruneBook(book: SampleBook, beforeMs: number): void {
  pruneMap(book.engine, beforeMs);
  pruneMap(book.gateway, beforeMs);
  pruneMap(book.external, beforeMs);
}

function latestIn<T extends { timeMs: number }>(list: readonly T[], sinceMs: number, atMs: number): T | null {
  for (let i = list.length - 1; i >= 0; i--) {
    const t = list[i].timeMs;
    if (t > atMs) continue;
    return t > sinceMs ? list[i] : null;
  }
  return null;
}

const GATEWAY_KEYS = ['inFlight', 'requestsPerSecond', 'inputTokensPerSecond', 'outputTokensPerSecond', 'tokensPerSecond'] as const;

function mean(h: { sumSeconds: number; count: number } | undefined): number | undefined {
  return h && h.count > 0 ? h.sumSeconds / h.count : undefined;
}

function add(values: Record<string, number>, key: string, v: number | undefined): void {
  if (v === undefined || !Number.isFinite(v)) return;
  values[key] = (values[key] ?? 0) + v;
}

/**
 * The target's sample at `atMs`: engine values summed over its endpoints (latency means summed
 * too, so target × replicas reads like HPA utilization), plus each model's gateway values summed
 * over gateways and weighted by the target's share (0 when no gateway reported the models
 * recently); `demand` = requests held by gateways for those models. Null when nothing recent
 * is known about the target and no route leads to it.
 */
export function aggregateAt(book: SampleBook, namespace: string, target: string, models: readonly ModelShare[], atMs: number, staleMs: number): TargetSample | null {
  const since = atMs - staleMs;
  const values: Record<string, number> = {};
  let seen = false;
  let demand = 0;
  for (const list of book.engine.get(`${namespace}/${target}`)?.values() ?? []) {
    const s = latestIn(list, since, atMs);
    if (!s) continue;
    seen = true;
    add(values, 'waiting', s.waiting);
    add(values, 'running', s.running);
    add(values, 'kvUsage', s.kvUsage);
    add(values, 'ttftSeconds', mean(s.ttft));
    add(values, 'itlSeconds', mean(s.itl));
    add(values, 'cpu', s.cpuCores);
    add(values, 'memory', s.memoryBytes);
    for (const [k, v] of Object.entries(s.custom ?? {})) add(values, `${ANY_METRIC_PREFIX}${k}`, v);
  }
  // Gateways report an idle model once at zero and then stop: no recent gateway sample for a
  // routed model means no traffic, not "unknown" (else windows would hold stale load forever).
  if (models.length > 0) {
    seen = true;
    for (const k of GATEWAY_KEYS) values[k] = 0;
  }
  for (const { model, share } of models) {
    for (const list of book.gateway.get(`${namespace}/${model}`)?.values() ?? []) {
      const s = latestIn(list, since, atMs);
      if (!s) continue;
      seen = true;
      add(values, 'inFlight', s.inFlight * share);
      add(values, 'requestsPerSecond', s.requestsPerSecond * share);
      add(values, 'inputTokensPerSecond', s.inputTokensPerSecond * share);
      add(values, 'outputTokensPerSecond', s.outputTokensPerSecond * share);
      add(values, 'tokensPerSecond', (s.inputTokensPerSecond + s.outputTokensPerSecond) * share);
      // Held requests wake every target of the model: any of them could serve them.
      if (share > 0) demand += s.held ?? 0;
    }
  }
  if (!seen) return null;
  const out: TargetSample = { timeMs: atMs, values };
  if (demand > 0) out.demand = demand;
  return out;
}

/** Sum of several targets' samples at one time (an optimizer binding scales their total). */
export function sumSamples(atMs: number, samples: readonly (TargetSample | null)[]): TargetSample | null {
  const present = samples.filter((s): s is TargetSample => s !== null);
  if (present.length === 0) return null;
  const values: Record<string, number> = {};
  let demand = 0;
  for (const s of present) {
    for (const [k, v] of Object.entries(s.values)) add(values, k, v);
    demand += s.demand ?? 0;
  }
  const out: TargetSample = { timeMs: atMs, values };
  if (demand > 0) out.demand = demand;
  return out;
}

/** Why an external metric has no value at a tick: the query, a stable code and the error in words. */
export interface ExternalProblem {
  /** Key of the metric (`query:<metricName>`). */
  metric: string;
  query: string;
  code: string;
  message: string;
}

/** External metric values of a binding at one tick, and the query metrics that have none. */
export interface ExternalReading {
  values: Record<string, number>;
  problems: ExternalProblem[];
}

/**
 * The binding's query metrics at `atMs`, from its newest external sample not after `atMs`: each
 * query's value keyed `query:<metricName>`, or a problem when that sample is older than
 * `staleMs` (or missing), lacks the query, or reports an error for it.
 */
export function externalAt(book: SampleBook, namespace: string, binding: string, metrics: readonly MetricTarget[], atMs: number, staleMs: number): ExternalReading {
  const out: ExternalReading = { values: {}, problems: [] };
  const queries = metrics.filter((m): m is MetricTarget & { query: string } => m.query !== undefined);
  if (queries.length === 0) return out;
  const list = book.external.get(`${namespace}/${binding}`)?.get('') ?? [];
  let newest: ExternalSample | undefined;
  for (let i = list.length - 1; i >= 0 && newest === undefined; i--) if (list[i].timeMs <= atMs) newest = list[i];
  for (const m of queries) {
    const problem = (code: string, message: string) => out.problems.push({ metric: m.name, query: m.query, code, message });
    if (newest === undefined || newest.timeMs <= atMs - staleMs) {
      const age = newest === undefined ? 'none at all' : `the newest is ${atMs - newest.timeMs} ms old`;
      problem(EXTERNAL_ERROR_CODES.noSample, `no result from the external-metrics poller in the last ${staleMs} ms (${age})`);
      continue;
    }
    const label = m.name.slice(QUERY_METRIC_PREFIX.length);
    const r = newest.results.find((x) => x.metricName === label && x.query === m.query);
    if (r === undefined) problem(EXTERNAL_ERROR_CODES.noSample, 'the external-metrics poller has not evaluated this query yet');
    else if ('error' in r) problem(r.error.code, r.error.message);
    else out.values[m.name] = r.value;
  }
  return out;
}
