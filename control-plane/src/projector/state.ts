// The projector's state: the desired resources it projects (Model, ModelInfer, ModelServer,
// ModelRoute), the latest observation of every instance, and the latest instance decision of
// every ModelInfer. Folding is order-insensitive per key (last value wins; observations by
// time), so replaying the streams in any interleaving gives the same state.
import type { EndpointObservation, InstanceObservation, InstancesDecision } from '@matrixinfer/events';
import { nsKey, resourceKey } from '../controllers/keys.js';
import type { AnyResource } from '../controllers/types.js';

/** Kinds the projector reads from MI_DESIRED. */
export const PROJECTED_KINDS = ['Model', 'ModelInfer', 'ModelServer', 'ModelRoute'] as const;

export type ProjectorEvent =
  | { type: 'resource'; kind: string; namespace: string; name: string; revision: number; resource: AnyResource | null }
  | { type: 'observation'; observation: InstanceObservation }
  | { type: 'endpoint'; endpoint: EndpointObservation }
  | { type: 'decision'; decision: InstancesDecision };

export interface ProjectorState {
  /** Live resources by `<kind>/<namespace>/<name>`, with their MI_DESIRED revision. */
  resources: Map<string, { resource: AnyResource; revision: number }>;
  /** Latest observation by `<namespace>/<instance>`. */
  observed: Map<string, InstanceObservation>;
  /** Latest InstancesDecision by `<namespace>/<modelinfer>`. */
  decisions: Map<string, InstancesDecision>;
  /** Latest EndpointObservation (health after ready, adapters loaded) by `<namespace>/<instance>`. */
  endpoints: Map<string, EndpointObservation>;
}

/** An empty projector state. */
export function initialProjectorState(): ProjectorState {
  return { resources: new Map(), observed: new Map(), decisions: new Map(), endpoints: new Map() };
}

/** Folds one event into the state (in place); returns the state. */
export function foldProjector(state: ProjectorState, event: ProjectorEvent): ProjectorState {
  switch (event.type) {
    case 'resource': {
      if (!(PROJECTED_KINDS as readonly string[]).includes(event.kind)) return state;
      const key = resourceKey(event.kind, event.namespace, event.name);
      if (event.resource) state.resources.set(key, { resource: event.resource, revision: event.revision });
      else state.resources.delete(key);
      return state;
    }
    case 'observation': {
      const o = event.observation;
      const key = nsKey(o.namespace, o.instance);
      const before = state.observed.get(key);
      if (!before || before.timeMs <= o.timeMs) state.observed.set(key, o);
      return state;
    }
    case 'endpoint': {
      const o = event.endpoint;
      const key = nsKey(o.namespace, o.instance);
      const before = state.endpoints.get(key);
      if (!before || before.timeMs <= o.timeMs) state.endpoints.set(key, o);
      return state;
    }
    case 'decision': {
      const d = event.decision;
      state.decisions.set(nsKey(d.namespace, d.modelInfer), d);
      return state;
    }
    default: {
      const never: never = event;
      throw new TypeError(`unknown projector event ${JSON.stringify(never)}`);
    }
  }
}

/** Live resources of one kind, sorted by namespace then name. */
export function resourcesOfKind<R extends AnyResource>(state: ProjectorState, kind: string): { resource: R; revision: number }[] {
  const prefix = `${kind}/`;
  return [...state.resources.entries()]
    .filter(([k]) => k.startsWith(prefix))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, v]) => v as { resource: R; revision: number });
}
