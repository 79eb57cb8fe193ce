// The model controller as a fold: (state, event) -> { state, decisions }. A Model's desired
// children are compared with the children MI_DESIRED holds; the difference is one decision of
// resource writes (apply/delete) with a reason. No I/O here: the runner publishes the decision
// and applies its writes through the resource store.
import { stableStringify } from '@matrixinfer/events';
import { contentHash } from '../hash.js';
import { isSubset, nsKey, resourceKey } from '../keys.js';
import { InvalidResourceError } from '../errors.js';
import { namespaceOf, type AnyResource, type Model, type ModelInfer } from '../types.js';
import { expandModel, MODEL_LABEL } from './expand.js';

/** Kinds a Model owns. */
export const CHILD_KINDS = ['ModelInfer', 'ModelServer', 'ModelRoute', 'AutoscalingPolicy', 'AutoscalingPolicyBinding'] as const;

/** One write of a model decision. */
export type ResourceWrite =
  | { op: 'apply'; kind: string; namespace: string; name: string; resource: AnyResource; baseRevision: number }
  | { op: 'delete'; kind: string; namespace: string; name: string; baseRevision: number };

/** Published on mi.decisions.model.<namespace>.<model>. */
export interface ModelDecision {
  model: string;
  namespace: string;
  /** MI_DESIRED revision of the Model this was computed from (0 once it is deleted). */
  modelRevision: number;
  writes: ResourceWrite[];
  /** Why, in words ("create ModelInfer/llama-a; delete ModelServer/llama-old"). */
  reason: string;
  /** Content hash of the decision: the event id, so a recomputed decision is stored once. */
  id: string;
}

/** Input events of the model controller. */
export type ModelControllerEvent =
  /** A resource (or its tombstone, resource null) read from MI_DESIRED, with its stream revision. */
  | { type: 'resource'; kind: string; namespace: string; name: string; revision: number; resource: AnyResource | null }
  /** One of our own decisions read back from MI_DECISIONS. */
  | { type: 'decision'; decision: ModelDecision };

export interface ModelControllerState {
  models: Map<string, { model: Model; revision: number }>;
  /** Child-kind resources by resourceKey; revision kept for tombstones too (resource null). */
  children: Map<string, { resource: AnyResource | null; revision: number }>;
  /**
   * Last decision published per model (nsKey). Its writes whose child still has the write's
   * baseRevision are in flight: not decided again, and re-applied by a restarted runner.
   */
  published: Map<string, ModelDecision>;
  /** Models whose spec cannot be expanded, with the reason (nsKey -> message). */
  invalid: Map<string, string>;
}

/** An empty model controller state. */
export function initialModelState(): ModelControllerState {
  return { models: new Map(), children: new Map(), published: new Map(), invalid: new Map() };
}

function ownerOf(r: AnyResource): string | undefined {
  const ref = r.metadata.ownerReferences?.find((o) => o.kind === 'Model' && o.controller !== false);
  return ref?.name ?? r.metadata.labels?.[MODEL_LABEL];
}

function ownedChildren(state: ModelControllerState, namespace: string, model: string): { key: string; resource: AnyResource; revision: number }[] {
  const out: { key: string; resource: AnyResource; revision: number }[] = [];
  for (const [key, c] of state.children) {
    if (c.resource && namespaceOf(c.resource) === namespace && ownerOf(c.resource) === model) out.push({ key, resource: c.resource, revision: c.revision });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function comparable(r: AnyResource): unknown {
  return { apiVersion: r.apiVersion, kind: r.kind, labels: r.metadata.labels, annotations: r.metadata.annotations, ownerReferences: r.metadata.ownerReferences, spec: r.spec };
}

/** The writes that bring a model's children to what its spec (or its deletion) asks for. */
export function modelWrites(state: ModelControllerState, namespace: string, name: string): ResourceWrite[] {
  const entry = state.models.get(nsKey(namespace, name));
  const owned = ownedChildren(state, namespace, name);
  const writes: ResourceWrite[] = [];
  const wanted = new Set<string>();
  if (entry) {
    const replicasOf = (mi: string) => {
      const c = state.children.get(resourceKey('ModelInfer', namespace, mi))?.resource as ModelInfer | null | undefined;
      return c?.spec?.replicas;
    };
    for (const child of expandModel(entry.model, replicasOf)) {
      const key = resourceKey(child.kind, namespace, child.metadata.name);
      wanted.add(key);
      const have = state.children.get(key);
      if (have?.resource && isSubset(comparable(child), comparable(have.resource))) continue;
      writes.push({ op: 'apply', kind: child.kind, namespace, name: child.metadata.name, resource: child, baseRevision: have?.revision ?? 0 });
    }
  }
  for (const c of owned) {
    if (wanted.has(c.key)) continue;
    writes.push({ op: 'delete', kind: c.resource.kind, namespace, name: c.resource.metadata.name, baseRevision: c.revision });
  }
  return writes;
}

function describe(state: ModelControllerState, w: ResourceWrite): string {
  if (w.op === 'delete') return `delete ${w.kind}/${w.name}`;
  const exists = state.children.get(resourceKey(w.kind, w.namespace, w.name))?.resource;
  return `${exists ? 'update' : 'create'} ${w.kind}/${w.name}`;
}

/** Decides for one model (after its events were loaded); records the decision as published. */
export function decideModel(state: ModelControllerState, namespace: string, name: string): ModelDecision[] {
  const key = nsKey(namespace, name);
  let writes: ResourceWrite[];
  try {
    writes = modelWrites(state, namespace, name);
    state.invalid.delete(key);
  } catch (err) {
    // An invalid Model gets no children; the reason is kept for its status. Not an exception
    // to the caller: "cannot decide" is a state, not a crash of the loop.
    if (err instanceof InvalidResourceError) {
      state.invalid.set(key, err.message);
      return [];
    }
    throw err;
  }
  const inFlight = new Set(inFlightWrites(state, namespace, name).map(writeIdentity));
  writes = writes.filter((w) => !inFlight.has(writeIdentity(w)));
  if (writes.length === 0) return [];
  const entry = state.models.get(key);
  const modelRevision = entry?.revision ?? 0;
  const id = contentHash({ namespace, name, modelRevision, writes }, 20);
  if (state.published.get(key)?.id === id) return [];
  const why = entry ? `Model ${name} (revision ${modelRevision}) asks for` : `Model ${name} was deleted:`;
  const reason = `${why} ${writes.map((w) => describe(state, w)).join('; ')}`;
  const decision: ModelDecision = { model: name, namespace, modelRevision, writes, reason, id };
  state.published.set(key, decision);
  return [decision];
}

function writeIdentity(w: ResourceWrite): string {
  return stableStringify({ op: w.op, kind: w.kind, name: w.name, resource: w.op === 'apply' ? w.resource : null });
}

/** Writes of the model's last decision that its children do not show yet (same baseRevision). */
export function inFlightWrites(state: ModelControllerState, namespace: string, name: string): ResourceWrite[] {
  const last = state.published.get(nsKey(namespace, name));
  if (!last) return [];
  return last.writes.filter((w) => (state.children.get(resourceKey(w.kind, w.namespace, w.name))?.revision ?? 0) === w.baseRevision);
}

/** Applies one event to the state without deciding (replay); returns the model it concerns, if any. */
export function loadModelEvent(state: ModelControllerState, event: ModelControllerEvent): { namespace: string; name: string } | null {
  switch (event.type) {
    case 'decision':
      state.published.set(nsKey(event.decision.namespace, event.decision.model), event.decision);
      return null;
    case 'resource': {
      if (event.kind === 'Model') {
        const key = nsKey(event.namespace, event.name);
        if (event.resource) state.models.set(key, { model: event.resource as Model, revision: event.revision });
        else state.models.delete(key);
        return { namespace: event.namespace, name: event.name };
      }
      if (!(CHILD_KINDS as readonly string[]).includes(event.kind)) return null;
      const key = resourceKey(event.kind, event.namespace, event.name);
      const before = state.children.get(key)?.resource;
      state.children.set(key, { resource: event.resource, revision: event.revision });
      const owner = (event.resource && ownerOf(event.resource)) ?? (before ? ownerOf(before) : undefined);
      return owner ? { namespace: event.namespace, name: owner } : null;
    }
    default: {
      const never: never = event;
      throw new TypeError(`unknown model controller event ${JSON.stringify(never)}`);
    }
  }
}

/** Folds one event; returns the decisions it makes (the state is updated in place and returned). */
export function foldModel(state: ModelControllerState, event: ModelControllerEvent): { state: ModelControllerState; decisions: ModelDecision[] } {
  const target = loadModelEvent(state, event);
  return { state, decisions: target ? decideModel(state, target.namespace, target.name) : [] };
}

/** Every model the state knows (live Models and owners of children), as sorted nsKeys. */
export function modelKeys(state: ModelControllerState): string[] {
  const names = new Set<string>(state.models.keys());
  for (const c of state.children.values()) {
    if (!c.resource) continue;
    const owner = ownerOf(c.resource);
    if (owner) names.add(nsKey(namespaceOf(c.resource), owner));
  }
  return [...names].sort();
}

/** Recomputes every model (after a replay): the decisions still missing from the stream. */
export function reconcileAllModels(state: ModelControllerState): ModelDecision[] {
  return modelKeys(state).flatMap((k) => {
    const [ns, name] = k.split('/');
    return decideModel(state, ns, name);
  });
}
