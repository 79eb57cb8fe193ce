// The autoscaler loop (thin I/O around stepUnit/decide): follows the desired resources and
// MI_METRICS, decides every binding once per tick, publishes decisions on
// `mi.decisions.autoscaler.<ns>.<name>`, writes ModelInfer.spec.replicas with optimistic
// concurrency, and keeps `autoscaler.<ns>.<name>` in mi-status for `mi get`.
//
// Several replicas: ticks are aligned to multiples of tickMs and a decision's Nats-Msg-Id is
// `autoscaler:<ns>:<name>:<tickStartMs>`, so only the first replica's decision of a tick is
// stored; a replica whose publish was a duplicate does not apply anything. The write expects
// the revision read, so a concurrent change is a conflict, re-read next tick.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  BUCKETS,
  ConflictError,
  STREAMS,
  SUBJECT_ROOT,
  createResourceStore,
  decisionSubject,
  ensureBuckets,
  ensureStreams,
  makeEvent,
  openKv,
  publishEvent,
  SCALE_OBSERVED,
  resourceChange,
  scaleTargetKey,
  statusKey,
  type ScaleObservation,
  type StoredResource,
} from '@matrixinfer/events';
import type { ModelInfer } from '@matrixinfer/schemas';
import type { Logger } from 'winston';
import type { ControlPlaneMetrics } from '../../observability/metrics.js';
import { autoscalerGauges } from '../../observability/autoscaler.js';
import { countDecision, lagRecorder, reconcileRecorder } from '../../observability/record.js';
import { startTail, type Tail } from '../../controllers/runner/tail.js';
import { startAlignedTicker } from '../../runtime/ticker.js';
import type { ScalerState } from '../types.js';
import { addSample, createSampleBook, pruneBook } from './book.js';
import { startMetricsFeed, type MetricsFeed } from './feed.js';
import { AUTOSCALER_DECISION, currentReplicas, decisionSignature, keepMsOf, rebuildState, stepUnit, type AutoscalerDecisionData, type ReplicaWrite, type StepContext } from './step.js';
import { buildTopology, type ScaleUnit } from './topology.js';

const SOURCE = 'autoscaler';

export interface AutoscalerOptions {
  nc: NatsConnection;
  logger: Logger;
  /** Decision interval; default 2000 ms (Knative's tick). */
  tickMs?: number;
  /** Clock in epoch ms; default Date.now. */
  now?: () => number;
  /** An endpoint's newest sample older than this is not counted; default max(5000, 3 ticks). */
  staleMs?: number;
  /** A steady decision is published again after this many ticks; default 15. */
  heartbeatTicks?: number;
  /** Samples read back at start when no binding exists yet; default 60 s (the default stable window). */
  minReplayMs?: number;
  /** Create streams and buckets when missing; default true. */
  ensure?: boolean;
  /** Ticks, decisions, per-target gauges and tail lag are recorded here (none: not recorded). */
  metrics?: ControlPlaneMetrics;
}

/** A running autoscaler. */
export interface RunningAutoscaler {
  /** Decides every binding now (the loop calls it each tick; tests may call it directly). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

interface UnitMemory {
  version: string;
  state: ScalerState;
  lastSignature?: string;
  lastPublishedTick?: number;
  /** When this replica last changed the target's replicas (ISO), for the binding status. */
  lastScaleTime?: string;
}

/** Starts the autoscaler; resolves once it has read the resources and replayed recent metrics. */
export async function startAutoscaler(opts: AutoscalerOptions): Promise<RunningAutoscaler> {
  const tickMs = opts.tickMs ?? 2000;
  if (!(tickMs > 0)) throw new RangeError(`tickMs must be > 0, got ${tickMs}`);
  const now = opts.now ?? Date.now;
  const staleMs = opts.staleMs ?? Math.max(5000, 3 * tickMs);
  const heartbeat = opts.heartbeatTicks ?? 15;
  const logger = opts.logger.child({ component: 'autoscaler' });
  const js = jetstream(opts.nc);
  const jsm = await jetstreamManager(opts.nc);
  if (opts.ensure !== false) {
    await ensureStreams(jsm);
    await ensureBuckets(js, jsm);
  }
  const store = createResourceStore({ js, jsm, source: SOURCE, now });
  const kv = await openKv(js, BUCKETS.status);
  const resources = new Map<string, StoredResource>();
  const book = createSampleBook();
  const memory = new Map<string, UnitMemory>();
  const gauges = autoscalerGauges(opts.metrics);
  const ticks = reconcileRecorder(opts.metrics, 'autoscaler');

  const tail: Tail = await startTail({
    js,
    stream: STREAMS.desired,
    filter: `${SUBJECT_ROOT}.desired.>`,
    logger,
    metrics: opts.metrics,
    consumer: `${SOURCE}:${SUBJECT_ROOT}.desired.>`,
    onEvent: async (ev) => {
      const change = resourceChange(ev as Parameters<typeof resourceChange>[0]);
      if (change === null) return;
      if (change.resource) resources.set(change.key, change.resource);
      else resources.delete(change.key);
    },
  });
  // What Kubernetes mode reads of targets that are not ModelInfers (their scale subresource).
  const scales = new Map<string, ScaleObservation>();
  let scaleTail: Tail | undefined;
  let feed: MetricsFeed | undefined;
  try {
    scaleTail = await startTail({
      js,
      stream: STREAMS.observed,
      filter: `${SUBJECT_ROOT}.observed.scale.>`,
      logger,
      metrics: opts.metrics,
      consumer: `${SOURCE}:${SUBJECT_ROOT}.observed.scale.>`,
      onEvent: async (ev) => {
        const o = ev.envelope.data as ScaleObservation | null;
        if (ev.envelope.type !== SCALE_OBSERVED || !o || typeof o.kind !== 'string' || typeof o.name !== 'string' || typeof o.namespace !== 'string') return;
        scales.set(scaleTargetKey(o.namespace, o.kind, o.name), o);
      },
    });
    await scaleTail.caughtUp;
    await tail.caughtUp;
    const units = buildTopology(resources.values()).units;
    const replayMs = Math.max(opts.minReplayMs ?? 60_000, ...units.filter((u) => u.ok).map((u) => keepMsOf(u))) + staleMs + tickMs;
    feed = await startMetricsFeed({ js, fromMs: now() - replayMs, logger, onSample: (s) => addSample(book, s), lag: lagRecorder(opts.metrics, `${SOURCE}:${SUBJECT_ROOT}.metrics.>`) });
    await feed.caughtUp;
  } catch (err) {
    await feed?.stop();
    await scaleTail?.stop();
    await tail.stop();
    throw err;
  }
  logger.info('autoscaler started', { tickMs, staleMs, resources: resources.size });

  async function publish(data: AutoscalerDecisionData): Promise<boolean> {
    const subject = decisionSubject(SOURCE, data.namespace, data.name);
    const id = `autoscaler:${data.namespace}:${data.name}:${data.tickStartMs}`;
    const ack = await publishEvent(js, subject, makeEvent(AUTOSCALER_DECISION, SOURCE, subject, data, { id, now }));
    if (!ack.duplicate) countDecision(opts.metrics, AUTOSCALER_DECISION);
    return !ack.duplicate;
  }

  async function writeStatus(data: AutoscalerDecisionData, mem: UnitMemory): Promise<void> {
    const time = new Date(now()).toISOString();
    const status = { ...data, time };
    await kv.put(statusKey(SOURCE, data.namespace, data.name), JSON.stringify(status));
    if (Object.keys(data.replicas).length > 1) {
      for (const [target, r] of Object.entries(data.replicas)) {
        const member = { ...status, name: target, currentReplicas: r.current, desiredReplicas: r.desired, replicas: { [target]: r } };
        await kv.put(statusKey(SOURCE, data.namespace, target), JSON.stringify(member));
      }
    }
    // The binding's own status (schema fields), so `mi get autoscalingpolicybindings` shows it.
    // Another replica may have made the last change: keep the later of its time and ours.
    const key = statusKey('AutoscalingPolicyBinding', data.namespace, data.binding);
    const prev = await kv.get(key).catch(() => null);
    let last = mem.lastScaleTime;
    if (prev && prev.operation === 'PUT' && prev.length > 0) {
      const t = prev.json<{ lastScaleTime?: unknown }>().lastScaleTime;
      if (typeof t === 'string' && (last === undefined || t > last)) last = t;
    }
    await kv.put(key, JSON.stringify(bindingStatus(data, time, last)));
  }

  async function apply(w: ReplicaWrite): Promise<void> {
    // Another kind lives only in Kubernetes: the scale applier patches it from the decision.
    if (w.ref) return;
    const key = `ModelInfer/${w.namespace}/${w.target}`;
    const mi = resources.get(key) as unknown as (ModelInfer & StoredResource) | undefined;
    if (!mi) return;
    const revision = Number(mi.metadata.resourceVersion);
    try {
      const out = await store.apply({ ...mi, spec: { ...mi.spec, replicas: w.to } }, { expectedRevision: revision });
      // Seen at once by the next tick, before the tail delivers our own write.
      resources.set(key, out.resource);
      logger.info('scaled', { namespace: w.namespace, target: w.target, from: w.from, to: w.to });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      logger.info('ModelInfer changed while scaling; deciding again next tick', { namespace: w.namespace, target: w.target, expected: revision });
    }
  }

  async function handle(unit: ScaleUnit, ctx: StepContext, tickStart: number): Promise<void> {
    const key = `${unit.namespace}/${unit.name}`;
    let mem = memory.get(key);
    if (unit.ok && (!mem || mem.version !== unit.version)) {
      // New binding, changed policy or a restart: rebuild the windows from the sample book.
      const cur = currentReplicas(unit, ctx.topology);
      const current = 'byTarget' in cur ? Object.values(cur.byTarget).reduce((a, b) => a + b, 0) : unit.plan.targets.length;
      mem = { version: unit.version, state: rebuildState(unit, ctx, current, tickStart, tickMs) };
      memory.set(key, mem);
    }
    if (!mem) memory.set(key, (mem = { version: 'invalid', state: { samples: [], recommendations: [], changes: [], panicUntilMs: null, lastActiveMs: null } }));
    const { data, writes, nextState } = stepUnit(unit, ctx, mem.state, tickStart);
    mem.state = nextState;
    gauges.record({ namespace: data.namespace, target: data.name, desiredReplicas: data.desiredReplicas, currentReplicas: data.currentReplicas, panic: data.mode === 'panic', values: data.values });
    const signature = decisionSignature(data);
    const changing = writes.length > 0;
    const due = mem.lastPublishedTick === undefined || tickStart - mem.lastPublishedTick >= heartbeat * tickMs;
    if (!changing && !due && signature === mem.lastSignature) return;
    const first = await publish(data);
    mem.lastSignature = signature;
    mem.lastPublishedTick = tickStart;
    if (!first) return; // another replica decided this tick
    if (data.valid) logger.debug('decision', { name: key, desired: data.desiredReplicas, current: data.currentReplicas, mode: data.mode, reason: data.reason });
    else logger.debug('no decision', { name: key, reason: data.reason });
    for (const w of writes) await apply(w);
    if (writes.length > 0) mem.lastScaleTime = new Date(now()).toISOString();
    await writeStatus(data, mem);
  }

  let lastShadowed = '';
  async function tickOnce(): Promise<void> {
    const tickStart = Math.floor(now() / tickMs) * tickMs;
    const topology = buildTopology(resources.values(), scales);
    const ctx: StepContext = { topology, book, staleMs };
    const okUnits = topology.units.filter((u) => u.ok);
    const keep = Math.max(opts.minReplayMs ?? 60_000, ...okUnits.map((u) => keepMsOf(u)));
    pruneBook(book, tickStart - keep - staleMs - tickMs);
    const shadowed = topology.shadowed.map((u) => `${u.namespace}/${u.binding}: ${u.error}`).join('; ');
    if (shadowed !== lastShadowed && shadowed !== '') logger.warn('bindings that cannot be used (their target is scaled by another binding)', { bindings: shadowed });
    lastShadowed = shadowed;
    const live = new Set<string>();
    for (const unit of topology.units) {
      live.add(`${unit.namespace}/${unit.name}`);
      try {
        await handle(unit, ctx, tickStart);
      } catch (err) {
        logger.warn('autoscaler tick failed for a target', { namespace: unit.namespace, name: unit.name, error: (err as Error).message });
      }
    }
    for (const k of memory.keys()) if (!live.has(k)) memory.delete(k);
    gauges.retain(live);
  }
  const ticker = startAlignedTicker({ tickMs, now, onTick: () => ticks.run(tickOnce), onError: (err) => logger.warn('autoscaler tick failed', { error: (err as Error).message }) });

  return {
    tick: ticker.tick,
    async stop() {
      await ticker.stop();
      await feed?.stop();
      await scaleTail?.stop();
      await tail.stop();
    },
  };
}

const CONDITION_REASONS: Record<string, string> = {
  'no-data': 'NoData',
  'no-metrics': 'NoMetrics',
  'invalid-binding': 'InvalidBinding',
  'target-missing': 'TargetMissing',
  'external-metric-unavailable': 'ExternalMetricUnavailable',
  'unknown-metric': 'UnknownMetric',
};

/**
 * AutoscalingPolicyBinding status (schema fields) from a decision: condition `Active`, plus
 * `MetricsAvailable` False (reason UnknownMetric, naming them) when policy metrics are not exposed.
 */
export function bindingStatus(data: AutoscalerDecisionData, time: string, lastScaleTime: string | undefined): Record<string, unknown> {
  const unknown = data.unknownMetrics ?? [];
  const st: Record<string, unknown> = {
    currentReplicas: data.currentReplicas,
    desiredReplicas: data.desiredReplicas,
    panicMode: data.mode === 'panic',
    lastDecision: data.reason,
    conditions: [
      data.valid
        ? { type: 'Active', status: 'True', reason: data.mode === 'panic' ? 'Panic' : 'Stable', message: data.reason }
        : { type: 'Active', status: 'False', reason: CONDITION_REASONS[data.invalidReason ?? ''] ?? 'Invalid', message: data.reason },
      // Also when other metrics still decide: a policy metric nobody exposes is a mistake to show.
      ...(unknown.length === 0 ? [] : [{ type: 'MetricsAvailable', status: 'False', reason: 'UnknownMetric', message: `metric(s) ${unknown.join(', ')} not exposed by any endpoint of the target` }]),
    ],
  };
  const b = data.budget;
  if (b) {
    (st.conditions as unknown[]).push(
      b.limited
        ? { type: 'BudgetLimited', status: 'True', reason: 'OverBudget', message: `the load asks for ${b.wantedReplicas} replicas; the budget of ${b.maxCostPerHour}/h pays for ${b.affordableReplicas} (now ${b.costPerHour}/h)` }
        : { type: 'BudgetLimited', status: 'False', reason: 'WithinBudget', message: `${b.costPerHour}/h of ${b.maxCostPerHour}/h` },
    );
  }
  if (lastScaleTime) st.lastScaleTime = lastScaleTime;
  return st;
}

/** The status `mi get` reads for a scale target from mi-status (the last decision and its time). */
export type AutoscalerStatus = AutoscalerDecisionData & { time: string };

/** Reads the autoscaler status of `<ns>/<name>` from mi-status, or null. */
export async function readAutoscalerStatus(kv: KV, namespace: string, name: string): Promise<AutoscalerStatus | null> {
  const e = await kv.get(statusKey(SOURCE, namespace, name));
  if (!e || e.operation !== 'PUT' || e.length === 0) return null;
  return e.json<AutoscalerStatus>();
}
