// The endpoint controller on NATS: follows ready instances (MI_OBSERVED), Models and
// ModelServers (MI_DESIRED); probes every ready entry endpoint on its ModelServer's health
// policy, reads the adapters it lists, and drives managed endpoints to their desired adapters
// with the engine's own API. What it sees is published as EndpointObservations (on change);
// every load and unload as a LoraDecision and its LoraResult. Triton and TorchServe endpoints
// also get their model lifecycle (lifecycle-loop.ts): models loaded / registered and TorchServe
// workers scaled, each call an EngineModelDecision and its EngineModelResult.
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  decisionSubject,
  ENDPOINT_OBSERVATION,
  INSTANCE_LABELS,
  LORA_DECISION,
  LORA_RESULT,
  observedSubject,
  RESOURCE_APPLIED,
  stableStringify,
  STREAMS,
  type EndpointObservation,
  type InstanceObservation,
  type LoraDecision,
  type LoraResult,
} from '@matrixinfer/events';
import type { Logger } from 'winston';
import { followStream, publishEnvelope, type Follower } from '../../actuator/bus.js';
import type { ControlPlaneMetrics } from '../../observability/metrics.js';
import { countDecision, lagRecorder } from '../../observability/record.js';
import { nsKey } from '../keys.js';
import type { Model } from '../types.js';
import { desiredOfEndpoint, desiredOfModels, serverLoraOf, type DesiredLora, type ServerLora } from './desired.js';
import { createHttpEngineApi, type EngineApi } from './engine-api.js';
import { DEFAULT_HEALTH, foldProbe, healthPolicyProblems, initialHealth, type HealthPolicy, type HealthState } from './health.js';
import { DEFAULT_LORA_RETRY, emptyLoraMemory, noteObserved, noteResult, planLora, type LoraAction, type LoraMemory, type LoraRetryPolicy } from './lora-plan.js';
import { applyServer, healthOfEndpoint, type ServerHealth } from './servers.js';
import { InvalidEndpointControllerOptionError } from './errors.js';
import { createHttpLifecycleApi, type LifecycleApi } from './lifecycle-api.js';
import { lifecycleOfModels, type DesiredLifecycle } from './lifecycle-desired.js';
import { createLifecycleReconciler } from './lifecycle-loop.js';
import type { ObservedEngineModel } from './lifecycle-plan.js';

const SOURCE = 'endpoint-controller';

/** Options of startEndpointController. */
export interface EndpointControllerOptions {
  nc: NatsConnection;
  logger: Logger;
  /** Clock in epoch ms (default Date.now). */
  now?: () => number;
  /** Engine calls (default: HTTP). */
  api?: EngineApi;
  /** Triton / TorchServe model lifecycle calls (default: HTTP). */
  lifecycleApi?: LifecycleApi;
  /** How often due probes are started (default 100 ms; each endpoint is probed on its policy's interval). */
  tickMs?: number;
  /** Health policy of endpoints whose ModelServer sets none. */
  defaultHealth?: HealthPolicy;
  retry?: LoraRetryPolicy;
  /** Timeout of one load or unload call (default 300 s: a real engine may download the adapter). */
  loadTimeoutMs?: number;
  /** Decisions and tail lag are recorded here (none: not recorded). */
  metrics?: ControlPlaneMetrics;
}

/** One ready run of an instance: same address, incarnation and revision. */
interface Run {
  key: string;
  obs: InstanceObservation;
  health: HealthState;
  nextProbeAtMs: number;
  probing: boolean;
  reconciling: boolean;
  adapters: string[] | undefined;
  published: string | undefined;
  /** Triton / TorchServe: the models the engine reported last. */
  models?: ObservedEngineModel[];
  lifecycleBusy?: boolean;
}

/** What a test or `mi` can read of a running controller. */
export interface EndpointControllerView {
  endpoints: { instance: string; address: string; healthy: boolean; adapters?: string[]; models?: ObservedEngineModel[] }[];
}

/** A running endpoint controller. */
export interface EndpointController {
  view(): EndpointControllerView;
  stop(): Promise<void>;
}

function runId(o: InstanceObservation): string {
  return `${o.address}|${o.incarnation ?? 0}|${o.revision}`;
}

/** Starts the endpoint controller; resolves once the history present at start was read. */
export async function startEndpointController(opts: EndpointControllerOptions): Promise<EndpointController> {
  const now = opts.now ?? Date.now;
  const api = opts.api ?? createHttpEngineApi();
  const tickMs = opts.tickMs ?? 100;
  const defaults = opts.defaultHealth ?? DEFAULT_HEALTH;
  const retry = opts.retry ?? DEFAULT_LORA_RETRY;
  const loadTimeoutMs = opts.loadTimeoutMs ?? 300_000;
  const problems = [...healthPolicyProblems(defaults), ...(tickMs > 0 ? [] : [`tickMs must be > 0, got ${tickMs}`])];
  if (problems.length > 0) throw new InvalidEndpointControllerOptionError(problems.join('; '));
  const log = opts.logger.child({ component: SOURCE });
  const js = jetstream(opts.nc);
  const runs = new Map<string, Run>();
  const memory = new Map<string, LoraMemory>();
  const models = new Map<string, Model>();
  const servers = new Map<string, ServerHealth>();
  let desired = new Map<string, DesiredLora>();
  let lifecycleDesired = new Map<string, DesiredLifecycle>();
  const serverLora = new Map<string, ServerLora>();
  let stopped = false;

  const policyOf = (run: Run): HealthPolicy => healthOfEndpoint(servers.values(), run.obs.namespace, run.obs.labels ?? {}, defaults);
  const current = (run: Run): boolean => !stopped && runs.get(run.key) === run;

  async function publish(type: string, subject: string, data: unknown): Promise<void> {
    if (stopped) return;
    try {
      await publishEnvelope(js, type, SOURCE, subject, data, now());
      if (subject.startsWith('mi.decisions.')) countDecision(opts.metrics, type);
    } catch (err) {
      if (!stopped) log.warn('cannot publish', { subject, error: (err as Error).message });
    }
  }

  async function observe(run: Run, reason: string): Promise<void> {
    const engineModels = run.models?.map((m) => m.name);
    const state = stableStringify({ healthy: run.health.healthy, adapters: run.adapters ?? null, engineModels: engineModels ?? null });
    if (state === run.published) return;
    run.published = state;
    const o = run.obs;
    const data: EndpointObservation = { instance: o.instance, namespace: o.namespace, modelInfer: o.modelInfer, address: o.address!, revision: o.revision, healthy: run.health.healthy, reason, timeMs: now() };
    if (o.incarnation) data.incarnation = o.incarnation;
    if (run.adapters !== undefined) data.adapters = run.adapters;
    if (engineModels !== undefined) data.engineModels = engineModels;
    log.info('endpoint observed', { instance: o.instance, healthy: data.healthy, adapters: data.adapters, engineModels, reason });
    await publish(ENDPOINT_OBSERVATION, observedSubject('endpoint', o.namespace, o.modelInfer, o.instance), data);
  }

  async function act(run: Run, want: DesiredLora, a: LoraAction): Promise<void> {
    const o = run.obs;
    const subject = decisionSubject('lora', o.namespace, o.instance);
    const decision: LoraDecision = { instance: o.instance, namespace: o.namespace, modelInfer: o.modelInfer, address: o.address!, action: a.action, adapter: a.adapter, attempt: a.attempt, kind: a.kind, reason: `${a.reason} (${want.source})`, timeMs: now() };
    if (a.path !== undefined) decision.path = a.path;
    log.info('lora decision', { instance: o.instance, action: a.action, adapter: a.adapter, attempt: a.attempt, reason: decision.reason });
    await publish(LORA_DECISION, subject, decision);
    const r = a.action === 'load' ? await api.load(want.engine, o.address!, a.adapter, a.path!, loadTimeoutMs) : await api.unload(want.engine, o.address!, a.adapter, loadTimeoutMs);
    const mem = noteResult(memory.get(run.key) ?? emptyLoraMemory(), a, r.ok, r.error ?? '', now(), retry);
    memory.set(run.key, mem);
    const result: LoraResult = { instance: o.instance, namespace: o.namespace, action: a.action, adapter: a.adapter, attempt: a.attempt, ok: r.ok, timeMs: now() };
    if (r.status !== undefined) result.status = r.status;
    if (!r.ok) {
      result.error = r.error ?? 'failed';
      result.retryAtMs = mem.failures.get(`${a.action}:${a.adapter}`)?.retryAtMs;
      log.warn('lora call failed', { instance: o.instance, action: a.action, adapter: a.adapter, attempt: a.attempt, error: result.error });
    }
    await publish(LORA_RESULT, subject, result);
  }

  const lifecycle = createLifecycleReconciler({
    api: opts.lifecycleApi ?? createHttpLifecycleApi(), log, now, retry, callTimeoutMs: loadTimeoutMs, readTimeoutMs: defaults.timeoutMs, publish,
    onRead: (run) => observe(run as Run, 'the engine reports other models'), live: (run) => current(run as Run) && (run as Run).health.healthy,
  });

  function reconcileLifecycle(run: Run): void {
    const want = lifecycleDesired.get(nsKey(run.obs.namespace, run.obs.modelInfer));
    if (!want || !run.health.healthy) return;
    void lifecycle.reconcile(run, want).catch((err: Error) => log.error('model lifecycle reconcile failed', { instance: run.obs.instance, error: err.message }));
  }

  async function reconcile(run: Run): Promise<void> {
    const want = desiredOfEndpoint(desired.get(nsKey(run.obs.namespace, run.obs.modelInfer)), serverLora.values(), run.obs.namespace, run.obs.labels ?? {});
    if (!want || run.reconciling || !run.health.healthy || run.adapters === undefined || !current(run)) return;
    run.reconciling = true;
    try {
      const mem = noteObserved(memory.get(run.key) ?? emptyLoraMemory(), run.adapters);
      memory.set(run.key, mem);
      const plan = planLora(want.adapters, run.adapters, mem, now());
      if (!plan.valid || plan.actions.length === 0) return;
      for (const a of plan.actions) {
        if (!current(run) || !run.health.healthy) return;
        await act(run, want, a);
      }
      const listed = await api.adapters(run.obs.address!, policyOf(run).timeoutMs);
      if (!current(run) || listed === undefined) return;
      run.adapters = listed;
      memory.set(run.key, noteObserved(memory.get(run.key) ?? emptyLoraMemory(), listed));
      await observe(run, 'adapters changed by the endpoint controller');
    } finally {
      run.reconciling = false;
    }
  }

  async function probe(run: Run): Promise<void> {
    const policy = policyOf(run);
    const started = now();
    run.probing = true;
    try {
      const h = await api.health(run.obs.address!, policy.timeoutMs);
      if (!current(run)) return;
      const f = foldProbe(run.health, h.ok, h.error ?? `HTTP ${h.status}`, policy);
      run.health = f.state;
      let reason = f.reason;
      if (run.health.healthy) {
        const listed = await api.adapters(run.obs.address!, policy.timeoutMs);
        if (!current(run)) return;
        if (listed !== undefined) {
          if (!reason) reason = run.published === undefined ? 'first probe after ready' : 'the engine lists other adapters';
          run.adapters = listed;
        }
      }
      await observe(run, reason || 'first probe after ready');
      if (run.health.healthy) {
        void reconcile(run).catch((err: Error) => log.error('lora reconcile failed', { instance: run.obs.instance, error: err.message }));
        reconcileLifecycle(run);
      }
    } finally {
      run.probing = false;
      run.nextProbeAtMs = started + policy.intervalMs;
    }
  }

  function onInstance(o: InstanceObservation): void {
    const key = nsKey(o.namespace, o.instance);
    const ready = o.phase === 'ready' && typeof o.address === 'string' && o.address !== '' && o.labels?.[INSTANCE_LABELS.entry] !== 'false';
    const held = runs.get(key);
    if (!ready) {
      runs.delete(key);
      if (o.phase === 'stopped') {
        memory.delete(key);
        lifecycle.forget(key);
      }
      return;
    }
    if (held && runId(held.obs) === runId(o)) {
      held.obs = o;
      return;
    }
    // A new run: what was seen loaded is remembered (a missing adapter is a repair), failures are not.
    const mem = memory.get(key);
    if (mem) memory.set(key, { seen: mem.seen, failures: new Map() });
    lifecycle.newRun(key);
    runs.set(key, { key, obs: { ...o, address: o.address!.replace(/\/+$/, '') }, health: initialHealth(), nextProbeAtMs: 0, probing: false, reconciling: false, adapters: undefined, published: undefined });
  }

  function onModels(): void {
    desired = desiredOfModels(models.values());
    lifecycleDesired = lifecycleOfModels(models.values());
    reconcileAll();
    for (const run of runs.values()) reconcileLifecycle(run);
  }

  function reconcileAll(): void {
    for (const run of runs.values()) void reconcile(run).catch((err: Error) => log.error('lora reconcile failed', { instance: run.obs.instance, error: err.message }));
  }

  const onBad = (subject: string, err: unknown): void => {
    log.debug('ignoring a malformed event', { subject, error: (err as Error).message });
  };
  const followers: Follower[] = [];
  const resource = (e: { type: string; data: unknown }): { ns: string; name: string; live: unknown } | null => {
    const r = e.data as { metadata?: { name?: unknown; namespace?: unknown } } | null;
    if (typeof r?.metadata?.name !== 'string') return null;
    return { ns: typeof r.metadata.namespace === 'string' ? r.metadata.namespace : 'default', name: r.metadata.name, live: e.type === RESOURCE_APPLIED ? r : null };
  };
  try {
    followers.push(await followStream(opts.nc, STREAMS.desired, 'mi.desired.modelserver.>', 'last-per-subject', (e) => {
      const r = resource(e);
      if (!r) return;
      for (const p of applyServer(servers, r.ns, r.name, r.live, defaults)) log.warn('ModelServer health check ignored', { modelServer: `${r.ns}/${r.name}`, problem: p });
      const lora = serverLoraOf(r.ns, r.name, r.live);
      const had = serverLora.has(nsKey(r.ns, r.name));
      if (lora) serverLora.set(nsKey(r.ns, r.name), lora);
      else serverLora.delete(nsKey(r.ns, r.name));
      if (lora || had) reconcileAll();
    }, onBad, lagRecorder(opts.metrics, `${SOURCE}:mi.desired.modelserver.>`)));
    followers.push(await followStream(opts.nc, STREAMS.desired, 'mi.desired.model.>', 'last-per-subject', (e) => {
      const r = resource(e);
      if (!r) return;
      if (r.live) models.set(nsKey(r.ns, r.name), r.live as Model);
      else models.delete(nsKey(r.ns, r.name));
      onModels();
    }, onBad, lagRecorder(opts.metrics, `${SOURCE}:mi.desired.model.>`)));
    followers.push(await followStream(opts.nc, STREAMS.observed, 'mi.observed.instance.>', 'last-per-subject', (e) => onInstance(e.data as InstanceObservation), onBad, lagRecorder(opts.metrics, `${SOURCE}:mi.observed.instance.>`)));
    await Promise.all(followers.map((f) => f.caughtUp));
  } catch (err) {
    await Promise.all(followers.map((f) => f.stop()));
    throw err;
  }

  const timer = setInterval(() => {
    const t = now();
    for (const run of runs.values()) {
      if (run.probing || run.nextProbeAtMs > t) continue;
      void probe(run).catch((err: Error) => log.error('probe failed', { instance: run.obs.instance, error: err.message }));
    }
  }, tickMs);
  log.info('endpoint controller running', { endpoints: runs.size });

  return {
    view() {
      return {
        endpoints: [...runs.values()].map((r) => {
          const e: EndpointControllerView['endpoints'][number] = { instance: r.obs.instance, address: r.obs.address!, healthy: r.health.healthy };
          if (r.adapters) e.adapters = r.adapters;
          if (r.models) e.models = r.models;
          return e;
        }),
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await Promise.all(followers.map((f) => f.stop()));
    },
  };
}
