// Desired LoRA adapters per ModelInfer, from the Models that own them. Pure. Only backends that
// declare `loraAdapters` are managed: on any other endpoint the controller loads and unloads
// nothing (adapters given by hand in a worker config stay as they are).
import { nsKey } from '../keys.js';
import { backendChildName } from '../model/autoscaling.js';
import { adapterPath } from '../model/engine/adapters.js';
import { engineOf } from '../model/engine/pod-template.js';
import { namespaceOf, type Model } from '../types.js';
import type { DesiredAdapter } from './lora-plan.js';

/** What the endpoints of one ModelInfer must serve, and which engine API they speak. */
export interface DesiredLora {
  engine: 'vLLM' | 'SGLang';
  adapters: DesiredAdapter[];
  /** `Model <ns>/<name> backend <b>`: where the desire comes from, for reasons. */
  source: string;
}

/** Desired adapters by `<namespace>/<modelinfer>` for one Model's backends. */
export function desiredOfModel(model: Model): Map<string, DesiredLora> {
  const out = new Map<string, DesiredLora>();
  const ns = namespaceOf(model);
  for (const b of model.spec.backends) {
    if (!Array.isArray(b.loraAdapters)) continue;
    const adapters = b.loraAdapters.map((a) => ({ name: a.name, path: adapterPath(a) })).sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    out.set(nsKey(ns, backendChildName(model, b)), { engine: engineOf(b), adapters, source: `Model ${ns}/${model.metadata.name} backend ${b.name}` });
  }
  return out;
}

/** Folds the desired adapters of every live Model into one map (a later Model never overrides an earlier key). */
export function desiredOfModels(models: Iterable<Model>): Map<string, DesiredLora> {
  const out = new Map<string, DesiredLora>();
  for (const m of models) for (const [k, v] of desiredOfModel(m)) if (!out.has(k)) out.set(k, v);
  return out;
}
