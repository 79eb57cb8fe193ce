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
    const engine = engineOf(b);
    // Live adapters exist on the vLLM and SGLang APIs only (the schema refuses them on the others).
    if (!Array.isArray(b.loraAdapters) || (engine !== 'vLLM' && engine !== 'SGLang')) continue;
    const adapters = b.loraAdapters.map((a) => ({ name: a.name, path: adapterPath(a) })).sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    out.set(nsKey(ns, backendChildName(model, b)), { engine, adapters, source: `Model ${ns}/${model.metadata.name} backend ${b.name}` });
  }
  return out;
}

/** Folds the desired adapters of every live Model into one map (a later Model never overrides an earlier key). */
export function desiredOfModels(models: Iterable<Model>): Map<string, DesiredLora> {
  const out = new Map<string, DesiredLora>();
  for (const m of models) for (const [k, v] of desiredOfModel(m)) if (!out.has(k)) out.set(k, v);
  return out;
}

/** The adapters a ModelServer itself asks for, with the labels its endpoints are selected by. */
export interface ServerLora {
  namespace: string;
  name: string;
  matchLabels: Record<string, string>;
  engine: 'vLLM' | 'SGLang';
  adapters: DesiredAdapter[];
}

type ServerSpec = { inferenceEngine?: unknown; workloadSelector?: { matchLabels?: unknown }; loraAdapters?: { name?: unknown; artifactURL?: unknown }[] };

/** A ModelServer's own adapters (null: deleted, or it declares none). */
export function serverLoraOf(namespace: string, name: string, resource: unknown): ServerLora | null {
  const spec = (resource as { spec?: ServerSpec } | null)?.spec;
  if (!spec || !Array.isArray(spec.loraAdapters) || spec.loraAdapters.length === 0) return null;
  const matchLabels: Record<string, string> = {};
  const raw = spec.workloadSelector?.matchLabels;
  if (raw !== null && typeof raw === 'object') for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') matchLabels[k] = v;
  const adapters = spec.loraAdapters
    .filter((a): a is { name: string; artifactURL: string } => typeof a?.name === 'string' && typeof a.artifactURL === 'string')
    .map((a) => ({ name: a.name, path: adapterPath(a) }))
    .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return { namespace, name, matchLabels, engine: spec.inferenceEngine === 'SGLang' ? 'SGLang' : 'vLLM', adapters };
}

/**
 * What one endpoint must serve: its Model backend's adapters plus those of every ModelServer of
 * its namespace whose selector matches its labels (by server name; the first source of a name
 * wins, the Model's first). Undefined when nothing manages its adapters.
 */
export function desiredOfEndpoint(fromModel: DesiredLora | undefined, servers: Iterable<ServerLora>, namespace: string, labels: Record<string, string>): DesiredLora | undefined {
  const matching = [...servers].filter((s) => s.namespace === namespace && Object.entries(s.matchLabels).every(([k, v]) => labels[k] === v)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (matching.length === 0) return fromModel;
  const byName = new Map<string, DesiredAdapter>();
  for (const a of fromModel?.adapters ?? []) byName.set(a.name, a);
  for (const s of matching) for (const a of s.adapters) if (!byName.has(a.name)) byName.set(a.name, a);
  const sources = [...(fromModel ? [fromModel.source] : []), ...matching.map((s) => `ModelServer ${s.namespace}/${s.name}`)];
  return {
    engine: fromModel?.engine ?? matching[0].engine,
    adapters: [...byName.values()].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)),
    source: sources.join(', '),
  };
}
