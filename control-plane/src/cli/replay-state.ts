// Rebuilds the projections as they were at a time: the desired resources, the routing table and
// the statuses, by replaying MI_DESIRED, the instance observations and the instance decisions
// up to that time and folding them with the projector's own pure functions.
import type { JetStreamClient } from '@nats-io/jetstream';
import { STREAMS, compareResources, replay, type ReplayedEvent, type RouteEntry, type StoredResource } from '@matrixinfer/events';
import { endpointObservationEvent, instancesDecisionEvent, observationEvent, resourceEvent } from '../controllers/runner/events.js';
import { projectRoutes } from '../projector/routes.js';
import { foldProjector, initialProjectorState, type ProjectorEvent, type ProjectorState } from '../projector/state.js';
import { projectStatus } from '../projector/status.js';

/** Maps one replayed envelope to the projector's event (as the projector runner does); null otherwise. */
export function toProjectorEvent(ev: ReplayedEvent): ProjectorEvent | null {
  const r = resourceEvent(ev);
  if (r) return { type: 'resource', ...r };
  const observation = observationEvent(ev);
  if (observation) return { type: 'observation', observation };
  const endpoint = endpointObservationEvent(ev);
  if (endpoint) return { type: 'endpoint', endpoint };
  const decision = instancesDecisionEvent(ev);
  return decision ? { type: 'decision', decision } : null;
}

/** The projections at one time. */
export interface StateAt {
  atMs: number;
  /** Live resources (status from the rebuilt projection where there is one), in list order. */
  resources: StoredResource[];
  /** `mi-routes` entries by key, sorted by key. */
  routes: RouteEntry[];
  /** Route names two routes claimed (the loser is named). */
  conflicts: string[];
  /** Last sequence folded per stream. */
  positions: Record<string, number>;
  /** The projector-owned `mi-status` values by key (model.*, modelinfer.*, modelserver.*), sorted by key. */
  statuses: Record<string, unknown>;
  /** Events read from the streams to rebuild this (replay figures). */
  events: number;
}

async function foldStream(js: JetStreamClient, stream: string, filter: string, atMs: number, state: ProjectorState, counted: { events: number }): Promise<number> {
  const r = await replay<ProjectorState>({
    js,
    stream,
    filter,
    until: { time: atMs },
    initial: state,
    skipInvalid: true,
    fold: (s, ev) => {
      const pe = toProjectorEvent(ev);
      return pe ? foldProjector(s, pe) : s;
    },
  });
  counted.events += r.count;
  return r.lastSeq;
}

/** Replays the streams up to `atMs` (inclusive) and projects routes, statuses and resources. */
export async function rebuildAt(js: JetStreamClient, atMs: number): Promise<StateAt> {
  const state = initialProjectorState();
  const positions: Record<string, number> = {};
  const counted = { events: 0 };
  // The fold is order-insensitive per key, so streams can be folded one after the other.
  positions[STREAMS.desired] = await foldStream(js, STREAMS.desired, 'mi.desired.>', atMs, state, counted);
  positions[STREAMS.decisions] = await foldStream(js, STREAMS.decisions, 'mi.decisions.infer.>', atMs, state, counted);
  const instances = await foldStream(js, STREAMS.observed, 'mi.observed.instance.>', atMs, state, counted);
  positions[STREAMS.observed] = Math.max(instances, await foldStream(js, STREAMS.observed, 'mi.observed.endpoint.>', atMs, state, counted));
  const { entries, conflicts } = projectRoutes(state);
  const statuses = projectStatus(state);
  const resources = [...state.resources.values()]
    .map(({ resource }) => {
      const r = resource as unknown as StoredResource;
      const st = statuses.get(`${r.kind.toLowerCase()}.${r.metadata.namespace}.${r.metadata.name}`);
      return st === undefined ? r : { ...r, status: st };
    })
    .sort(compareResources);
  const routes = [...entries.keys()].sort().map((k) => entries.get(k)!);
  const byKey = Object.fromEntries([...statuses.keys()].sort().map((k) => [k, statuses.get(k)]));
  return { atMs, resources, routes, conflicts, positions, statuses: byKey, events: counted.events };
}

/** Keeps what concerns one model: its route entries and the Model with everything it owns. */
export function filterByModel(s: StateAt, model: string): StateAt {
  const routes = s.routes.filter((e) => e.name === model || e.route === model);
  const keep = new Set<string>();
  const uidOf = new Map(s.resources.map((r) => [r.metadata.uid, r] as const));
  const ownedBy = (r: StoredResource, seen = new Set<string>()): boolean => {
    if (r.kind === 'Model' && r.metadata.name === model) return true;
    for (const o of r.metadata.ownerReferences ?? []) {
      if (o.kind === 'Model' && o.name === model) return true;
      const owner = uidOf.get(o.uid);
      if (owner && !seen.has(o.uid) && ownedBy(owner, seen.add(o.uid))) return true;
    }
    return false;
  };
  for (const r of s.resources) if (ownedBy(r)) keep.add(`${r.kind}/${r.metadata.namespace}/${r.metadata.name}`);
  // A route's servers belong to the model too, even without owner references.
  for (const e of routes) {
    keep.add(`ModelRoute/${e.namespace}/${e.route}`);
    for (const srv of Object.keys(e.servers)) keep.add(`ModelServer/${e.namespace}/${srv}`);
  }
  return { ...s, routes, resources: s.resources.filter((r) => keep.has(`${r.kind}/${r.metadata.namespace}/${r.metadata.name}`)) };
}
