// Which ModelServer selects an endpoint, and the health policy it asks for. Pure.
import { durationMs } from '../../projector/duration.js';
import { nsKey } from '../keys.js';
import { DEFAULT_HEALTH, healthPolicyProblems, type HealthPolicy } from './health.js';

/** The part of a ModelServer the endpoint controller needs. */
export interface ServerHealth {
  namespace: string;
  name: string;
  matchLabels: Record<string, string>;
  health: HealthPolicy;
}

/** The `trafficPolicy.healthCheck` of a ModelServer spec as written. */
export interface HealthCheckSpec {
  interval?: string;
  timeout?: string;
  unhealthyThreshold?: number;
  healthyThreshold?: number;
}

/**
 * The policy a ModelServer's healthCheck asks for, every field defaulted; an invalid value
 * (admission should have refused it) falls back to the defaults with the problems listed.
 */
export function healthPolicyOf(spec: HealthCheckSpec | undefined, defaults: HealthPolicy = DEFAULT_HEALTH): { policy: HealthPolicy; problems: string[] } {
  const p: HealthPolicy = {
    intervalMs: durationMs(spec?.interval) ?? defaults.intervalMs,
    timeoutMs: durationMs(spec?.timeout) ?? defaults.timeoutMs,
    unhealthyThreshold: spec?.unhealthyThreshold ?? defaults.unhealthyThreshold,
    healthyThreshold: spec?.healthyThreshold ?? defaults.healthyThreshold,
  };
  const problems = healthPolicyProblems(p);
  return problems.length > 0 ? { policy: defaults, problems } : { policy: p, problems };
}

/** Folds one ModelServer from MI_DESIRED (null: deleted) into `servers`; returns config problems. */
export function applyServer(servers: Map<string, ServerHealth>, namespace: string, name: string, resource: unknown, defaults: HealthPolicy = DEFAULT_HEALTH): string[] {
  const key = nsKey(namespace, name);
  const spec = (resource as { spec?: { workloadSelector?: { matchLabels?: unknown }; trafficPolicy?: { healthCheck?: HealthCheckSpec } } } | null)?.spec;
  if (!spec) {
    servers.delete(key);
    return [];
  }
  const raw = spec.workloadSelector?.matchLabels;
  const matchLabels: Record<string, string> = {};
  if (raw !== null && typeof raw === 'object') for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') matchLabels[k] = v;
  const { policy, problems } = healthPolicyOf(spec.trafficPolicy?.healthCheck, defaults);
  servers.set(key, { namespace, name, matchLabels, health: policy });
  return problems;
}

/** The health policy of an endpoint: its ModelServer's (first by name when several select it), else the defaults. */
export function healthOfEndpoint(servers: Iterable<ServerHealth>, namespace: string, labels: Record<string, string>, defaults: HealthPolicy = DEFAULT_HEALTH): HealthPolicy {
  let best: ServerHealth | undefined;
  for (const s of servers) {
    if (s.namespace !== namespace) continue;
    if (!Object.entries(s.matchLabels).every(([k, v]) => labels[k] === v)) continue;
    if (!best || s.name < best.name) best = s;
  }
  return best?.health ?? defaults;
}
