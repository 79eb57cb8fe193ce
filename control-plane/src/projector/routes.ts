// ModelRoutes + ModelServers + ready instances -> one RouteEntry per model name and per LoRA
// adapter name. Pure and deterministic: sorted arrays, no timestamps, so the same state always
// encodes to the same bytes (encodeRouteEntry sorts keys).
import { INSTANCE_LABELS, type EndpointObservation, type InstanceObservation, type InstanceSpec, type RouteEndpoint, type RouteEntry, type RouteOutlierDetection, type RouteRule, type RouteServer } from '@matrixinfer/events';
import { nsKey, resourceKey } from '../controllers/keys.js';
import { namespaceOf, type ModelRoute, type ModelServer } from '../controllers/types.js';
import { durationMs } from './duration.js';
import { resourcesOfKind, type ProjectorState } from './state.js';

function byString<T>(key: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

function matches(labels: Record<string, string>, want: Record<string, string> | undefined): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => labels[k] === v);
}

/**
 * True when the observation is about the run the latest decision asks for (same revision and
 * incarnation): an endpoint leaves the table as soon as a decision replaces it, before the
 * actuator has even stopped it. Without any decision (an outside actuator) it is trusted.
 */
function isCurrent(state: ProjectorState, o: InstanceObservation, index: Map<string, Map<string, InstanceSpec>>): boolean {
  const key = nsKey(o.namespace, o.modelInfer);
  if (!state.decisions.has(key)) return true;
  let byName = index.get(key);
  if (!byName) index.set(key, (byName = new Map(state.decisions.get(key)!.instances.map((i) => [i.name, i]))));
  const spec = byName.get(o.instance);
  return spec !== undefined && spec.revision === o.revision && (spec.incarnation ?? 0) === (o.incarnation ?? 0);
}

/**
 * The endpoint controller's latest word on this run of the instance (same address, incarnation
 * and revision), or undefined: a report about an earlier run says nothing about this one.
 */
function endpointOf(state: ProjectorState, o: InstanceObservation, address: string): EndpointObservation | undefined {
  const e = state.endpoints.get(nsKey(o.namespace, o.instance));
  if (!e || e.address.replace(/\/+$/, '') !== address || e.revision !== o.revision || (e.incarnation ?? 0) !== (o.incarnation ?? 0)) return undefined;
  return e;
}

/**
 * Ready endpoints of a ModelServer, sorted by id. One the endpoint controller found unhealthy
 * after ready is left out; the adapters it lists are the ones its engine reported loaded.
 */
export function endpointsOf(state: ProjectorState, server: ModelServer, index = new Map<string, Map<string, InstanceSpec>>()): RouteEndpoint[] {
  const ns = namespaceOf(server);
  const sel = server.spec.workloadSelector;
  const out: RouteEndpoint[] = [];
  for (const o of state.observed.values()) {
    if (o.namespace !== ns || o.phase !== 'ready' || !o.address) continue;
    const labels = o.labels ?? {};
    // Workers of a multi-pod role replica serve through their entry instance only.
    if (labels[INSTANCE_LABELS.entry] === 'false') continue;
    if (!matches(labels, sel.matchLabels)) continue;
    if (!isCurrent(state, o, index)) continue;
    const address = o.address.replace(/\/+$/, '');
    const health = endpointOf(state, o, address);
    if (health && !health.healthy) continue;
    const ep: RouteEndpoint = { id: o.instance, address, role: 'both' };
    if (health?.adapters) ep.adapters = [...health.adapters].sort();
    if (sel.pdGroup) {
      const group = labels[sel.pdGroup.groupKey];
      if (group === undefined) continue;
      if (matches(labels, sel.pdGroup.prefillLabels)) ep.role = 'prefill';
      else if (matches(labels, sel.pdGroup.decodeLabels)) ep.role = 'decode';
      else continue;
      ep.pdGroup = group;
    }
    out.push(ep);
  }
  return out.sort(byString((e) => e.id));
}

/** The RouteServer of a ModelServer: engine, upstream model, traffic policy, connector, endpoints. */
export function routeServerOf(state: ProjectorState, server: ModelServer, index?: Map<string, Map<string, InstanceSpec>>): RouteServer {
  const rs: RouteServer = {
    name: server.metadata.name,
    namespace: namespaceOf(server),
    engine: server.spec.inferenceEngine,
    endpoints: endpointsOf(state, server, index),
  };
  if (server.spec.model) rs.model = server.spec.model;
  const tp = server.spec.trafficPolicy;
  if (tp) {
    const policy: NonNullable<RouteServer['trafficPolicy']> = {};
    const timeoutMs = durationMs(tp.timeout);
    if (timeoutMs !== undefined) policy.timeoutMs = timeoutMs;
    // An explicit retry policy travels even at 0 attempts: without one the gateway's default applies.
    if (tp.retry) policy.retry = { attempts: tp.retry.attempts ?? 0, retryIntervalMs: durationMs(tp.retry.retryInterval) ?? 0 };
    const idleMs = durationMs(tp.streamIdleTimeout);
    if (idleMs !== undefined) policy.streamIdleTimeoutMs = idleMs;
    const od = tp.outlierDetection;
    if (od) {
      const o: RouteOutlierDetection = {};
      if (od.consecutive5xx !== undefined) o.consecutive5xx = od.consecutive5xx;
      if (od.consecutiveGatewayFailure !== undefined) o.consecutiveGatewayFailure = od.consecutiveGatewayFailure;
      const base = durationMs(od.baseEjectionTime);
      if (base !== undefined) o.baseEjectionTimeMs = base;
      const max = durationMs(od.maxEjectionTime);
      if (max !== undefined) o.maxEjectionTimeMs = max;
      if (od.maxEjectionPercent !== undefined) o.maxEjectionPercent = od.maxEjectionPercent;
      policy.outlierDetection = o;
    }
    if (Object.keys(policy).length > 0) rs.trafficPolicy = policy;
  }
  if (server.spec.kvConnector?.type) rs.kvConnector = { type: server.spec.kvConnector.type };
  return rs;
}

function rulesOf(route: ModelRoute): RouteRule[] {
  return route.spec.rules.map((r) => {
    const rule: RouteRule = { name: r.name, targets: r.targetModels.map((t) => ({ modelServer: t.modelServerName, weight: t.weight ?? 100 })) };
    const m = r.modelMatch;
    if (m) {
      const match: NonNullable<RouteRule['match']> = {};
      if (m.headers && Object.keys(m.headers).length > 0) {
        match.headers = Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k.toLowerCase(), { ...v }]));
      }
      if (m.uri) match.uri = { ...m.uri };
      if (m.body?.model !== undefined) match.bodyModel = m.body.model;
      if (Object.keys(match).length > 0) rule.match = match;
    }
    return rule;
  });
}

/** A key usable in a KV bucket (`^[-/=.\w]+$`, no leading/trailing dot). */
export function isKvKey(k: string): boolean {
  return /^[-/=.\w]+$/.test(k) && !k.startsWith('.') && !k.endsWith('.');
}

/**
 * The adapter names a route serves: its own `loraAdapters`, and those of the ModelServers it
 * targets (a server that loads an adapter on its endpoints makes it routable), sorted, once each.
 */
export function loraNamesOf(state: ProjectorState, route: ModelRoute): string[] {
  const ns = namespaceOf(route);
  const names = new Set(route.spec.loraAdapters ?? []);
  for (const rule of route.spec.rules ?? []) {
    for (const t of rule.targetModels ?? []) {
      const server = state.resources.get(resourceKey('ModelServer', ns, t.modelServerName))?.resource as ModelServer | undefined;
      for (const a of server?.spec.loraAdapters ?? []) names.add(a.name);
    }
  }
  return [...names].sort();
}

/**
 * Every routing entry, by key. When two routes claim one name, a model name beats a LoRA
 * adapter name, then the first route by namespace/name wins (the loser is reported).
 */
export function projectRoutes(state: ProjectorState): { entries: Map<string, RouteEntry>; conflicts: string[] } {
  const entries = new Map<string, RouteEntry>();
  const conflicts: string[] = [];
  const index = new Map<string, Map<string, InstanceSpec>>();
  const serverCache = new Map<string, RouteServer | null>();
  const serverOf = (ns: string, name: string): RouteServer | null => {
    const key = resourceKey('ModelServer', ns, name);
    if (!serverCache.has(key)) {
      const s = state.resources.get(key)?.resource as ModelServer | undefined;
      serverCache.set(key, s ? routeServerOf(state, s, index) : null);
    }
    return serverCache.get(key)!;
  };
  const routes = resourcesOfKind<ModelRoute>(state, 'ModelRoute').map((r) => r.resource);
  const claims: { name: string; kind: 'model' | 'lora'; route: ModelRoute }[] = [];
  for (const route of routes) {
    if (route.spec.modelName) claims.push({ name: route.spec.modelName, kind: 'model', route });
    for (const a of loraNamesOf(state, route)) claims.push({ name: a, kind: 'lora', route });
  }
  // Model claims first, each group in route order: the first claim of a name wins.
  for (const c of [...claims.filter((c) => c.kind === 'model'), ...claims.filter((c) => c.kind === 'lora')]) {
    const ns = namespaceOf(c.route);
    if (!isKvKey(c.name)) {
      conflicts.push(`${c.kind} name ${JSON.stringify(c.name)} of ModelRoute ${ns}/${c.route.metadata.name} is not a valid mi-routes key`);
      continue;
    }
    const taken = entries.get(c.name);
    if (taken) {
      conflicts.push(`${c.kind} name ${c.name} of ModelRoute ${ns}/${c.route.metadata.name} is already routed by ModelRoute ${taken.namespace}/${taken.route}`);
      continue;
    }
    const rules = rulesOf(c.route);
    const servers: Record<string, RouteServer> = {};
    for (const name of [...new Set(rules.flatMap((r) => r.targets.map((t) => t.modelServer)))].sort()) {
      const s = serverOf(ns, name);
      if (s) servers[name] = s;
    }
    const entry: RouteEntry = { format: 'mi.route/v1', name: c.name, kind: c.kind, namespace: ns, route: c.route.metadata.name, rules, servers };
    const rl = c.route.spec.rateLimit;
    if (rl && (rl.inputTokensPerUnit !== undefined || rl.outputTokensPerUnit !== undefined)) {
      entry.rateLimit = { unit: rl.unit ?? 'second' };
      if (rl.inputTokensPerUnit !== undefined) entry.rateLimit.inputTokensPerUnit = rl.inputTokensPerUnit;
      if (rl.outputTokensPerUnit !== undefined) entry.rateLimit.outputTokensPerUnit = rl.outputTokensPerUnit;
      if (rl.global) entry.rateLimit.global = true;
    }
    entries.set(c.name, entry);
  }
  return { entries, conflicts };
}
