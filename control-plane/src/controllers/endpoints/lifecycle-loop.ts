// The model lifecycle half of the endpoint controller's loop: for one healthy Triton or
// TorchServe endpoint, read what the engine has, plan against the desired models and make the
// calls, each published as an EngineModelDecision followed by its EngineModelResult (the way
// LoRA loads are). The runner calls `reconcile` after every healthy probe and whenever the
// Models change; memory survives runs of one instance (a missing model is a repair).
import { decisionSubject, ENGINE_MODEL_DECISION, ENGINE_MODEL_RESULT, type EngineModelDecision, type EngineModelResult, type InstanceObservation } from '@matrixinfer/events';
import type { Logger } from 'winston';
import type { DesiredLifecycle } from './lifecycle-desired.js';
import type { LifecycleApi } from './lifecycle-api.js';
import { emptyLifecycleMemory, noteLifecycleObserved, noteLifecycleResult, planLifecycle, type LifecycleAction, type LifecycleMemory, type ObservedEngineModel } from './lifecycle-plan.js';
import { opKey, type RetryPolicy } from './set-plan.js';

/** The endpoint the lifecycle works on (the runner's view of one ready run). */
export interface LifecycleRun {
  key: string;
  obs: InstanceObservation;
  /** Models the engine reported last (undefined: not read yet, or it did not answer). */
  models?: ObservedEngineModel[];
  lifecycleBusy?: boolean;
}

/** What the lifecycle needs from the runner. */
export interface LifecycleDeps {
  api: LifecycleApi;
  log: Logger;
  now: () => number;
  retry: RetryPolicy;
  /** Timeout of reads (the probe's) and of one call (loads can take long). */
  readTimeoutMs: number;
  callTimeoutMs: number;
  publish(type: string, subject: string, data: unknown): Promise<void>;
  /** After each read of the engine's models (the runner publishes an observation when they changed). */
  onRead(run: LifecycleRun): Promise<void>;
  /** False once the run was replaced, stopped or became unhealthy: stop making calls. */
  live(run: LifecycleRun): boolean;
}

/** The lifecycle of every endpoint, with its memory. */
export interface LifecycleReconciler {
  reconcile(run: LifecycleRun, want: DesiredLifecycle): Promise<void>;
  /** A new run of the instance: failures are forgotten, what was seen and owned is kept. */
  newRun(key: string): void;
  /** The instance is gone for good. */
  forget(key: string): void;
}

/** Creates the lifecycle reconciler. */
export function createLifecycleReconciler(deps: LifecycleDeps): LifecycleReconciler {
  const memory = new Map<string, LifecycleMemory>();
  const mem = (key: string): LifecycleMemory => memory.get(key) ?? emptyLifecycleMemory();

  async function read(run: LifecycleRun, want: DesiredLifecycle): Promise<ObservedEngineModel[] | undefined> {
    const describe = new Set([...want.models.map((m) => m.name), ...mem(run.key).owned]);
    const models = await deps.api.models(want.engine, run.obs.address!, describe, deps.readTimeoutMs);
    if (models !== undefined) {
      run.models = models;
      memory.set(run.key, noteLifecycleObserved(mem(run.key), models, want.models));
      if (deps.live(run)) await deps.onRead(run);
    }
    return models;
  }

  async function act(run: LifecycleRun, want: DesiredLifecycle, a: LifecycleAction): Promise<void> {
    const o = run.obs;
    const subject = decisionSubject('enginemodel', o.namespace, o.instance);
    const target = deps.api.target(want.engine, o.address!);
    const decision: EngineModelDecision = {
      instance: o.instance, namespace: o.namespace, modelInfer: o.modelInfer, address: target, engine: want.engine,
      action: a.action, model: a.model, attempt: a.attempt, kind: a.kind, reason: `${a.reason} (${want.source})`, timeMs: deps.now(),
    };
    if (a.url !== undefined) decision.url = a.url;
    if (a.minWorkers !== undefined) decision.minWorkers = a.minWorkers;
    if (a.maxWorkers !== undefined) decision.maxWorkers = a.maxWorkers;
    deps.log.info('model lifecycle decision', { instance: o.instance, engine: want.engine, action: a.action, model: a.model, attempt: a.attempt, reason: decision.reason });
    await deps.publish(ENGINE_MODEL_DECISION, subject, decision);
    const r = await deps.api.call(want.engine, o.address!, a, deps.callTimeoutMs);
    const next = noteLifecycleResult(mem(run.key), a, r.ok, r.error ?? '', deps.now(), deps.retry);
    memory.set(run.key, next);
    const result: EngineModelResult = { instance: o.instance, namespace: o.namespace, action: a.action, model: a.model, attempt: a.attempt, ok: r.ok, timeMs: deps.now() };
    if (r.status !== undefined) result.status = r.status;
    if (!r.ok) {
      result.error = r.error ?? 'failed';
      result.retryAtMs = next.failures.get(opKey(a.action, a.model))?.retryAtMs;
      deps.log.warn('model lifecycle call failed', { instance: o.instance, action: a.action, model: a.model, attempt: a.attempt, error: result.error });
    }
    await deps.publish(ENGINE_MODEL_RESULT, subject, result);
  }

  return {
    async reconcile(run, want) {
      if (run.lifecycleBusy || !deps.live(run)) return;
      run.lifecycleBusy = true;
      try {
        const observed = await read(run, want);
        if (!deps.live(run)) return;
        const plan = planLifecycle(want.engine, want.models, observed, mem(run.key), deps.now());
        if (!plan.valid || plan.actions.length === 0) return;
        for (const a of plan.actions) {
          if (!deps.live(run)) return;
          await act(run, want, a);
        }
        if (deps.live(run)) await read(run, want);
      } finally {
        run.lifecycleBusy = false;
      }
    },
    newRun(key) {
      const m = memory.get(key);
      if (m) memory.set(key, { ...m, failures: new Map() });
    },
    forget(key) {
      memory.delete(key);
    },
  };
}
