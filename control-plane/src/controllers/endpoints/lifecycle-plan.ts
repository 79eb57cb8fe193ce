// Model lifecycle plan of one Triton or TorchServe endpoint: (desired models, models the engine
// reports, memory) -> loads, unloads and (TorchServe) worker scaling, each with its reason. The
// load/unload diff and the backoff are set-plan.ts, shared with LoRA. Pure: time comes in.
//
// Only what this controller owns is unloaded: a model it was asked to keep (the served model, a
// backend's modelLifecycle.models) and that is no longer desired. Models loaded or registered by
// someone else stay as they are. A desired model that was there and is gone (unloaded out of
// band, the engine restarted) is a repair; a TorchServe model whose min/max workers differ from
// the desired counts is scaled.
import { dueFailure, emptyMemory, noteObserved, noteResult, opKey, planSet, retryNote, type RetryPolicy, type SetMemory, type SetWords } from './set-plan.js';

/** A model an endpoint must have loaded (Triton) or registered (TorchServe). */
export interface DesiredEngineModel {
  name: string;
  /** TorchServe: the archive to register (a .mar in the model store, or an http(s) URL). */
  url?: string;
  /** TorchServe: min_worker and max_worker. */
  minWorkers?: number;
  maxWorkers?: number;
}

/** What the engine reports of one model: Triton lists READY ones; TorchServe its registrations with their worker counts. */
export interface ObservedEngineModel {
  name: string;
  minWorkers?: number;
  maxWorkers?: number;
}

/** Which engine API the models are managed with. */
export type LifecycleEngine = 'Triton' | 'TorchServe';

/** One call to make on the engine. */
export interface LifecycleAction {
  action: 'load' | 'unload' | 'scale';
  model: string;
  url?: string;
  minWorkers?: number;
  maxWorkers?: number;
  kind: 'load' | 'repair' | 'unload' | 'scale';
  /** 1 for the first try. */
  attempt: number;
  reason: string;
}

/** Memory of one endpoint: the shared set memory plus the models this controller owns there. */
export interface LifecycleMemory extends SetMemory {
  /** Models desired here at some time and not yet unloaded by us: only these may be unloaded. */
  owned: ReadonlySet<string>;
}

/** The plan, or why there is none yet. */
export type LifecyclePlan =
  | { valid: true; actions: LifecycleAction[]; backingOff: { key: string; retryAtMs: number }[] }
  | { valid: false; reason: 'models-unknown' };

/** An empty memory. */
export function emptyLifecycleMemory(): LifecycleMemory {
  return { ...emptyMemory(), owned: new Set() };
}

function workersOf(d: DesiredEngineModel): string {
  return d.minWorkers === undefined ? '' : ` with ${d.minWorkers} worker${d.minWorkers === 1 ? '' : 's'}`;
}

function words(engine: LifecycleEngine): SetWords<DesiredEngineModel> {
  if (engine === 'Triton') {
    return {
      unload: (name) => `model ${name} was loaded by the endpoint controller and is no longer desired: unloading it`,
      load: (d) => `model ${d.name} is desired and not READY in the Triton repository index: loading it`,
      repair: (d) => `model ${d.name} was READY on this endpoint and is not any more (unloaded out of band, or the server restarted): loading it again`,
    };
  }
  return {
    unload: (name) => `model ${name} was registered by the endpoint controller and is no longer desired: unregistering it`,
    load: (d) => `model ${d.name} is desired and not registered: registering ${d.url ?? `${d.name}.mar`}${workersOf(d)}`,
    repair: (d) => `model ${d.name} was registered on this endpoint and is gone (unregistered out of band, or the server restarted): registering ${d.url ?? `${d.name}.mar`} again${workersOf(d)}`,
  };
}

function drifted(d: DesiredEngineModel, o: ObservedEngineModel | undefined): boolean {
  if (!o || d.minWorkers === undefined) return false;
  return o.minWorkers !== d.minWorkers || o.maxWorkers !== (d.maxWorkers ?? d.minWorkers);
}

/** Plans the calls that bring an endpoint's models to `desired` (`observed` undefined: the engine did not answer). */
export function planLifecycle(engine: LifecycleEngine, desired: readonly DesiredEngineModel[], observed: readonly ObservedEngineModel[] | undefined, memory: LifecycleMemory, nowMs: number): LifecyclePlan {
  if (observed === undefined) return { valid: false, reason: 'models-unknown' };
  const set = planSet(desired, observed.map((o) => o.name), memory, nowMs, words(engine), (name) => memory.owned.has(name));
  const actions: LifecycleAction[] = set.actions.map((a) => {
    const out: LifecycleAction = { action: a.action, model: a.name, kind: a.kind, attempt: a.attempt, reason: a.reason };
    if (a.item?.url !== undefined) out.url = a.item.url;
    if (a.item?.minWorkers !== undefined) {
      out.minWorkers = a.item.minWorkers;
      out.maxWorkers = a.item.maxWorkers ?? a.item.minWorkers;
    }
    return out;
  });
  const backingOff = [...set.backingOff];
  const seen = new Map(observed.map((o) => [o.name, o]));
  for (const d of [...desired].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const o = seen.get(d.name);
    if (!drifted(d, o)) continue;
    const f = dueFailure(memory, opKey('scale', d.name), nowMs, backingOff);
    if (f === null) continue;
    const max = d.maxWorkers ?? d.minWorkers!;
    actions.push({
      action: 'scale', model: d.name, minWorkers: d.minWorkers, maxWorkers: max, kind: 'scale', attempt: (f?.count ?? 0) + 1,
      reason: `model ${d.name} runs min/max workers ${o!.minWorkers ?? '?'}/${o!.maxWorkers ?? '?'}, desired ${d.minWorkers}/${max}: scaling it${retryNote(f)}`,
    });
  }
  return { valid: true, actions, backingOff };
}

/**
 * Memory after the engine reported `observed` while `desired` was wanted: the desired models are
 * owned from now on, the reported ones seen; failures of operations no longer needed (a load of
 * a present model, an unload of an absent one, a scale of a model at its counts) are forgotten.
 */
export function noteLifecycleObserved(memory: LifecycleMemory, observed: readonly ObservedEngineModel[], desired: readonly DesiredEngineModel[]): LifecycleMemory {
  const want = new Map(desired.map((d) => [d.name, d]));
  const seen = new Map(observed.map((o) => [o.name, o]));
  const set = noteObserved(memory, observed.map((o) => o.name), (action, name) => action === 'scale' && want.has(name) && drifted(want.get(name)!, seen.get(name)));
  return { ...set, owned: new Set([...memory.owned, ...want.keys()]) };
}

/** Memory after an action's outcome: success clears its failures (an unload also ends ownership), failure backs it off. */
export function noteLifecycleResult(memory: LifecycleMemory, a: LifecycleAction, ok: boolean, error: string, nowMs: number, policy?: RetryPolicy): LifecycleMemory {
  const set = noteResult(memory, { action: a.action, name: a.model }, ok, error, nowMs, policy);
  const owned = new Set(memory.owned);
  if (ok && a.action === 'unload') owned.delete(a.model);
  return { ...set, owned };
}
