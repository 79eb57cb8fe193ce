// Pure folds of what the collector knows: which endpoints are ready (from InstanceObservations)
// and which ModelServer selects each (from desired ModelServers).
import type { InstanceObservation } from '@matrixinfer/events';

/** A ready engine endpoint to scrape. */
export interface Endpoint {
  /** Instance name: the `<endpoint id>` of the metrics subject. */
  id: string;
  namespace: string;
  modelInfer: string;
  address: string;
  labels: Record<string, string>;
  /** Process (group leader) the local actuator started, when the observation says. */
  pid?: number;
}

/** The part of a ModelServer the collector needs: which instances it selects. */
export interface ServerSelector {
  namespace: string;
  name: string;
  matchLabels: Record<string, string>;
}

/** Key of an endpoint or server: names are unique only within a namespace. */
export function nsKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Folds one observation: `ready` with an address adds (or moves) the endpoint, anything else removes it. */
export function applyObservation(endpoints: Map<string, Endpoint>, obs: InstanceObservation): void {
  const key = nsKey(obs.namespace, obs.instance);
  if (obs.phase === 'ready' && typeof obs.address === 'string' && obs.address !== '') {
    const ep: Endpoint = { id: obs.instance, namespace: obs.namespace, modelInfer: obs.modelInfer, address: obs.address, labels: obs.labels ?? {} };
    if (typeof obs.pid === 'number' && Number.isSafeInteger(obs.pid) && obs.pid > 0) ep.pid = obs.pid;
    endpoints.set(key, ep);
  } else {
    endpoints.delete(key);
  }
}

/** Folds one MI_DESIRED event of a ModelServer: applied sets its selector, deleted removes it. */
export function applyServerEvent(servers: Map<string, ServerSelector>, type: string, data: unknown): void {
  const r = data as { metadata?: { name?: unknown; namespace?: unknown }; spec?: { workloadSelector?: { matchLabels?: unknown } } } | null;
  const name = r?.metadata?.name;
  const namespace = r?.metadata?.namespace;
  if (typeof name !== 'string' || typeof namespace !== 'string') return;
  const key = nsKey(namespace, name);
  if (type !== 'resource.applied') {
    servers.delete(key);
    return;
  }
  const raw = r?.spec?.workloadSelector?.matchLabels;
  const matchLabels: Record<string, string> = {};
  if (raw !== null && typeof raw === 'object') for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') matchLabels[k] = v;
  servers.set(key, { namespace, name, matchLabels });
}

/**
 * Name of the ModelServer selecting `ep` (same namespace, every matchLabel present on the
 * endpoint); the alphabetically first when several do, '' when none does (yet).
 */
export function modelServerOf(servers: Iterable<ServerSelector>, ep: Endpoint): string {
  let best = '';
  for (const s of servers) {
    if (s.namespace !== ep.namespace) continue;
    const entries = Object.entries(s.matchLabels);
    if (entries.length === 0) continue; // an empty selector would select everything: ignore it
    if (!entries.every(([k, v]) => ep.labels[k] === v)) continue;
    if (best === '' || s.name < best) best = s.name;
  }
  return best;
}
