// Desired model lifecycle per ModelInfer, from the Models that own them. Pure. Every Triton
// and TorchServe backend is managed: its served model (the name its engines answer to) plus
// its modelLifecycle.models must be READY in Triton's repository, or registered in TorchServe
// with modelLifecycle.minWorkers/maxWorkers workers (when set; else TorchServe's own count).
import { nsKey } from '../keys.js';
import { backendChildName } from '../model/autoscaling.js';
import { engineInput, engineServedName } from '../model/engine/pod-template.js';
import { torchserveModels } from '../model/engine/torchserve.js';
import { namespaceOf, type Model, type ModelBackend } from '../types.js';
import type { DesiredEngineModel, LifecycleEngine } from './lifecycle-plan.js';

/** What the endpoints of one ModelInfer must have loaded, and with which engine API. */
export interface DesiredLifecycle {
  engine: LifecycleEngine;
  models: DesiredEngineModel[];
  /** `Model <ns>/<name> backend <b>`: where the desire comes from, for reasons. */
  source: string;
}

/** The archive TorchServe registers the served model from: the `--models` entry of that name (as the container starts it). */
function servedArchive(model: Model, backend: ModelBackend, served: string): string {
  const worker = (backend.workers ?? [{ type: 'server' as const }])[0];
  const { models } = torchserveModels(engineInput(model, backend, worker));
  const entries = models.split(/[,\s]+/).map((e) => e.split('=')).filter((p) => p.length === 2);
  return entries.find(([n]) => n === served)?.[1] ?? entries[0]?.[1] ?? `${served}.mar`;
}

/** The lifecycle of one backend (undefined: not a Triton or TorchServe backend). */
export function lifecycleOfBackend(model: Model, backend: ModelBackend): DesiredEngineModel[] | undefined {
  if (backend.type !== 'Triton' && backend.type !== 'TorchServe') return undefined;
  const served = engineServedName(model, backend);
  const extra = backend.modelLifecycle?.models ?? [];
  if (backend.type === 'Triton') return [{ name: served }, ...extra.filter((m) => m.name !== served).map((m) => ({ name: m.name }))];
  // Worker counts are managed only when the spec names them: TorchServe's own default (one
  // worker per GPU, or per CPU core) is what a server started with --models runs, and holding
  // it at 1 unasked would throttle every real deployment.
  const lc = backend.modelLifecycle;
  const min = lc?.minWorkers ?? (lc?.maxWorkers !== undefined ? 1 : undefined);
  const workers = min === undefined ? {} : { minWorkers: min, maxWorkers: lc?.maxWorkers ?? min };
  return [
    { name: served, url: servedArchive(model, backend, served), ...workers },
    ...extra.filter((m) => m.name !== served).map((m) => ({ name: m.name, url: m.archive ?? `${m.name}.mar`, ...workers })),
  ];
}

/** Desired lifecycle by `<namespace>/<modelinfer>` of one Model's Triton and TorchServe backends. */
export function lifecycleOfModel(model: Model): Map<string, DesiredLifecycle> {
  const out = new Map<string, DesiredLifecycle>();
  const ns = namespaceOf(model);
  for (const b of model.spec.backends) {
    const models = lifecycleOfBackend(model, b);
    if (!models) continue;
    const sorted = models.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    out.set(nsKey(ns, backendChildName(model, b)), { engine: b.type as LifecycleEngine, models: sorted, source: `Model ${ns}/${model.metadata.name} backend ${b.name}` });
  }
  return out;
}

/** Folds the desired lifecycle of every live Model into one map (a later Model never overrides an earlier key). */
export function lifecycleOfModels(models: Iterable<Model>): Map<string, DesiredLifecycle> {
  const out = new Map<string, DesiredLifecycle>();
  for (const m of models) for (const [k, v] of lifecycleOfModel(m)) if (!out.has(k)) out.set(k, v);
  return out;
}
