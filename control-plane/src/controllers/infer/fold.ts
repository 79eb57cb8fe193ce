// The infer controller as a fold over ModelInfer resources, instance observations, its own
// published decisions and clock ticks. The published set is the memory: decisions chain their
// ids (hash of the previous id and the new content), so a recomputed decision has the same id
// on every replica and after every restart, and a set that returns to an earlier content still
// gets a new id (JetStream deduplication would otherwise drop it).
import type { InstanceObservation, InstanceSpec, InstancesDecision } from '@matrixinfer/events';
import { contentHash } from '../hash.js';
import { nsKey } from '../keys.js';
import type { ModelInfer } from '../types.js';
import { reconcileInfer } from './reconcile.js';

export type InferControllerEvent =
  | { type: 'resource'; namespace: string; name: string; revision: number; resource: ModelInfer | null }
  | { type: 'observation'; observation: InstanceObservation }
  | { type: 'decision'; id: string; decision: InstancesDecision }
  | { type: 'tick' };

/** A decision ready to publish: the envelope id and the payload. */
export interface InferDecision {
  id: string;
  decision: InstancesDecision;
}

export interface InferControllerState {
  modelInfers: Map<string, { mi: ModelInfer | null; revision: number }>;
  published: Map<string, { id: string; instances: InstanceSpec[] }>;
  observed: Map<string, Map<string, InstanceObservation>>;
  /** Per ModelInfer: why nothing changes yet, and when to look again. */
  pending: Map<string, { waiting?: string; wakeAtMs?: number; invalid?: string }>;
}

/** An empty infer controller state. */
export function initialInferState(): InferControllerState {
  return { modelInfers: new Map(), published: new Map(), observed: new Map(), pending: new Map() };
}

/** Id of the decision that follows `prevId` with `instances`. */
export function inferDecisionId(prevId: string, namespace: string, modelInfer: string, instances: InstanceSpec[]): string {
  return contentHash({ prevId, namespace, modelInfer, instances }, 20);
}

/** Applies one event without deciding (replay); returns the ModelInfer key it concerns. */
export function loadInferEvent(state: InferControllerState, event: InferControllerEvent): string | null {
  switch (event.type) {
    case 'resource': {
      const key = nsKey(event.namespace, event.name);
      state.modelInfers.set(key, { mi: event.resource, revision: event.revision });
      return key;
    }
    case 'observation': {
      const o = event.observation;
      const key = nsKey(o.namespace, o.modelInfer);
      let m = state.observed.get(key);
      if (!m) state.observed.set(key, (m = new Map()));
      const before = m.get(o.instance);
      // Observations of one instance come from one actuator in order; an older timestamp is a
      // replayed duplicate and must not roll the state back.
      if (!before || before.timeMs <= o.timeMs) m.set(o.instance, o);
      return key;
    }
    case 'decision': {
      const d = event.decision;
      const key = nsKey(d.namespace, d.modelInfer);
      state.published.set(key, { id: event.id, instances: d.instances });
      return key;
    }
    case 'tick':
      return null;
    default: {
      const never: never = event;
      throw new TypeError(`unknown infer controller event ${JSON.stringify(never)}`);
    }
  }
}

/** Decides for one ModelInfer (by nsKey); records the decision as published. */
export function decideInfer(state: InferControllerState, key: string, nowMs: number): InferDecision[] {
  const entry = state.modelInfers.get(key);
  const published = state.published.get(key);
  const [namespace, name] = key.split('/');
  const outcome = reconcileInfer({
    mi: entry?.mi ?? null,
    published: published?.instances ?? [],
    observed: state.observed.get(key) ?? new Map(),
    nowMs,
  });
  state.pending.set(key, { waiting: outcome.waiting, wakeAtMs: outcome.wakeAtMs, invalid: outcome.invalid });
  if (!outcome.next) return [];
  const instances = outcome.next.instances;
  const id = inferDecisionId(published?.id ?? '', namespace, name, instances);
  const mi = entry?.mi;
  const decision: InstancesDecision = {
    modelInfer: name,
    namespace,
    generation: mi?.metadata.generation ?? entry?.revision ?? 0,
    instances,
    reason: outcome.next.reason,
  };
  state.published.set(key, { id, instances });
  return [{ id, decision }];
}

/** Every ModelInfer key the state knows, sorted. */
export function inferKeys(state: InferControllerState): string[] {
  return [...new Set([...state.modelInfers.keys(), ...state.published.keys()])].sort();
}

/**
 * Folds one event at `nowMs`: a tick re-decides every ModelInfer (grace periods), any other
 * event the one it concerns. Returns the decisions to publish.
 */
export function foldInfer(state: InferControllerState, event: InferControllerEvent, nowMs: number): { state: InferControllerState; decisions: InferDecision[] } {
  // A decision read back (ours or another replica's) is decided on too: with the same inputs
  // the set is unchanged (no decision); with different ones, replicas converge on the last.
  const key = loadInferEvent(state, event);
  const keys = key === null ? inferKeys(state) : [key];
  return { state, decisions: keys.flatMap((k) => decideInfer(state, k, nowMs)) };
}

/** Earliest time any ModelInfer wants to be decided again (for the runner's timer). */
export function nextWakeMs(state: InferControllerState): number | undefined {
  let min: number | undefined;
  for (const p of state.pending.values()) if (p.wakeAtMs !== undefined && (min === undefined || p.wakeAtMs < min)) min = p.wakeAtMs;
  return min;
}
