// Pure fold of what the collector reads from AutoscalingPolicyBindings: per scale target
// (ModelInfer), where else to scrape its replicas (`metricEndpoint`) and which series count in
// its any-metric values (`additionalMatchLabels`). Both come from
// `spec.scalingConfiguration.target` or each `spec.optimizerConfiguration.params[].target`.
import type { LabelMatch } from './any-metric.js';
import { nsKey } from './endpoints.js';

/** A binding's metricEndpoint with defaults applied (port: the engine's when undefined). */
export interface MetricEndpoint {
  scheme: 'http' | 'https';
  port?: number;
  uri: string;
}

/** How the collector treats the endpoints of one bound ModelInfer. */
export interface TargetScrape {
  /** The binding this comes from (the alphabetically first when several name the target). */
  binding: string;
  metricEndpoint?: MetricEndpoint;
  /** additionalMatchLabels; empty when none. */
  matchLabels: LabelMatch;
}

/** One target of one binding. */
export interface BoundTarget extends TargetScrape {
  namespace: string;
  modelInfer: string;
}

/** `<ns>/<binding>` -> the targets it names. */
export type BindingTargets = Map<string, BoundTarget[]>;

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v) ?? {})) if (typeof x === 'string') out[k] = x;
  return out;
}

function metricEndpointOf(v: unknown): MetricEndpoint | undefined {
  const me = obj(v);
  if (me === undefined) return undefined;
  const out: MetricEndpoint = { scheme: me.scheme === 'https' ? 'https' : 'http', uri: typeof me.uri === 'string' && me.uri.startsWith('/') ? me.uri : '/metrics' };
  if (typeof me.port === 'number' && Number.isInteger(me.port) && me.port >= 1 && me.port <= 65535) out.port = me.port;
  return out;
}

// One ScalingTarget; undefined when it names no ModelInfer of the binding's namespace.
function targetOf(binding: string, namespace: string, v: unknown): BoundTarget | undefined {
  const t = obj(v);
  const ref = obj(t?.targetRef);
  if (typeof ref?.name !== 'string') return undefined;
  if (ref.kind !== undefined && ref.kind !== 'ModelInfer') return undefined;
  if (ref.namespace !== undefined && ref.namespace !== namespace) return undefined;
  const out: BoundTarget = { binding, namespace, modelInfer: ref.name, matchLabels: stringMap(t?.additionalMatchLabels) };
  const me = metricEndpointOf(t?.metricEndpoint);
  if (me !== undefined) out.metricEndpoint = me;
  return out;
}

/** Folds one MI_DESIRED event of an AutoscalingPolicyBinding: applied sets its targets, anything else removes them. */
export function applyBindingEvent(bindings: BindingTargets, type: string, data: unknown): void {
  const r = obj(data);
  const meta = obj(r?.metadata);
  const name = meta?.name;
  const namespace = meta?.namespace ?? 'default';
  if (typeof name !== 'string' || typeof namespace !== 'string') return;
  const key = nsKey(namespace, name);
  if (type !== 'resource.applied') {
    bindings.delete(key);
    return;
  }
  const spec = obj(r?.spec);
  const raw = [obj(spec?.scalingConfiguration)?.target];
  const params = obj(spec?.optimizerConfiguration)?.params;
  if (Array.isArray(params)) for (const p of params) raw.push(obj(p)?.target);
  const targets = raw.map((t) => targetOf(name, namespace, t)).filter((t): t is BoundTarget => t !== undefined);
  bindings.set(key, targets);
}

/** What the bindings say about ModelInfer `<namespace>/<modelInfer>`: the alphabetically first binding naming it, undefined when none does. */
export function targetScrapeOf(bindings: BindingTargets, namespace: string, modelInfer: string): TargetScrape | undefined {
  let best: BoundTarget | undefined;
  for (const targets of bindings.values()) {
    for (const t of targets) {
      if (t.namespace !== namespace || t.modelInfer !== modelInfer) continue;
      // The autoscaler's order too (topology.ts sorts bindings with localeCompare).
      if (best === undefined || t.binding.localeCompare(best.binding) < 0) best = t;
    }
  }
  if (best === undefined) return undefined;
  const out: TargetScrape = { binding: best.binding, matchLabels: best.matchLabels };
  if (best.metricEndpoint !== undefined) out.metricEndpoint = best.metricEndpoint;
  return out;
}

/**
 * URL of `me` on the host of the engine `address` (`http://host:port`): the binding's scheme,
 * port (the engine's when omitted) and uri. Undefined when it is the engine's own `/metrics`
 * (scraped anyway) or the address is not a URL.
 */
export function boundMetricsUrl(address: string, me: MetricEndpoint): string | undefined {
  let u: URL;
  try {
    u = new URL(address);
  } catch {
    return undefined;
  }
  const enginePort = u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  const port = me.port ?? enginePort;
  const url = `${me.scheme}://${u.hostname}:${port}${me.uri}`;
  const engineUrl = `${u.protocol.slice(0, -1)}://${u.hostname}:${enginePort}/metrics`;
  return url === engineUrl ? undefined : url;
}
