// Pure core of the local actuator: given what runs and what the decisions want, which
// instances to start, stop and replace. No I/O, no clock: the supervisor applies the plan.
import type { InstancePhase, InstanceSpec } from '@matrixinfer/events';

/** What the actuator knows of one instance it manages (running or already ended). */
export interface RunningInstance {
  spec: InstanceSpec;
  phase: InstancePhase;
}

/** Instances to start, stop and replace (stop the old process, then start the new spec). */
export interface ActionPlan {
  start: InstanceSpec[];
  stop: RunningInstance[];
  replace: { from: RunningInstance; to: InstanceSpec }[];
}

/** Key of an instance in the actuator's maps: names are unique only within a namespace. */
export function instanceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = canonical((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** Order-independent identity of a spec: any change (revision, incarnation, args, env...) changes it. */
export function specFingerprint(spec: InstanceSpec): string {
  return JSON.stringify(canonical(spec));
}

// Entries before workers so a worker can be given its entry's address; then by name for a
// deterministic order.
function startOrder(a: InstanceSpec, b: InstanceSpec): number {
  if (a.entry !== b.entry) return a.entry ? -1 : 1;
  const ka = instanceKey(a.namespace, a.name);
  const kb = instanceKey(b.namespace, b.name);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Diff `running` (keyed by instanceKey) against `desired`: start what is missing, stop what is
 * no longer wanted, replace what changed. An instance whose spec is unchanged is left alone
 * whatever its phase: restarting a failed one is the infer controller's call (recovery policy),
 * which it expresses by changing the spec (e.g. its incarnation). Duplicate keys in `desired`:
 * the first wins.
 */
export function planActions(running: ReadonlyMap<string, RunningInstance>, desired: readonly InstanceSpec[]): ActionPlan {
  const wanted = new Map<string, InstanceSpec>();
  for (const spec of desired) {
    const key = instanceKey(spec.namespace, spec.name);
    if (!wanted.has(key)) wanted.set(key, spec);
  }
  const start: InstanceSpec[] = [];
  const replace: { from: RunningInstance; to: InstanceSpec }[] = [];
  for (const [key, spec] of wanted) {
    const current = running.get(key);
    if (current === undefined) start.push(spec);
    else if (specFingerprint(current.spec) !== specFingerprint(spec)) replace.push({ from: current, to: spec });
  }
  const stop: RunningInstance[] = [];
  for (const [key, inst] of running) if (!wanted.has(key)) stop.push(inst);
  start.sort(startOrder);
  replace.sort((a, b) => startOrder(a.to, b.to));
  stop.sort((a, b) => startOrder(a.spec, b.spec));
  return { start, stop, replace };
}

/** Why a replace happens, in words: which spec fields changed ("revision a1 → b2, args"). */
export function describeChange(from: InstanceSpec, to: InstanceSpec): string {
  const parts: string[] = [];
  if (from.revision !== to.revision) parts.push(`revision ${from.revision} → ${to.revision}`);
  if ((from.incarnation ?? 0) !== (to.incarnation ?? 0)) parts.push(`incarnation ${from.incarnation ?? 0} → ${to.incarnation ?? 0}`);
  const rest = ['command', 'args', 'env', 'labels', 'engine', 'group', 'role', 'roleIndex', 'podIndex', 'entry', 'modelInfer'] as const;
  for (const k of rest) if (JSON.stringify(canonical(from[k])) !== JSON.stringify(canonical(to[k]))) parts.push(k);
  return parts.length === 0 ? 'no change' : parts.join(', ');
}
