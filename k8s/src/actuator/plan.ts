// Pure core of the Kubernetes actuator: from the desired instance sets and the objects the
// API server holds, which Pods and Services to create and delete. A Pod whose rendered content
// (hash annotation: template, revision, incarnation...) is unchanged is kept whatever its
// phase: recreating a failed one is the infer controller's call (a new incarnation), exactly
// as with the local actuator. A changed Pod is deleted first and created once its name is free.
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { INSTANCE_LABELS, type InstanceSpec } from '@matrixinfer/events';
import { ACTUATOR_ANNOTATIONS, groupServiceName, renderGroupService, renderPod, type Owner } from './pods.js';

/** Key of an object: names are unique within a namespace. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** What the plan needs of one ModelInfer that has a decision. */
export interface DesiredSet {
  namespace: string;
  modelInfer: string;
  instances: readonly InstanceSpec[];
  /** The ModelInfer's uid, or undefined when it is not (yet) in the API server: nothing is created then. */
  owner?: Owner;
}

/** Options of planObjects. */
export interface PlanOptions {
  clusterDomain?: string;
  defaultImage?: string;
  /**
   * `objectKey@hash` of Pods that vanished without the actuator deleting them: not created again
   * with the same content (the recovery policy decides, by a new incarnation).
   */
  lost?: ReadonlySet<string>;
}

/** One object to delete, with why. */
export interface Deletion {
  kind: 'Pod' | 'Service';
  namespace: string;
  name: string;
  uid?: string;
  reason: string;
}

/** What to do now; `waiting` are names held by an object that is still terminating. */
export interface ObjectPlan {
  createPods: V1Pod[];
  createServices: V1Service[];
  deletions: Deletion[];
  waiting: string[];
}

/** `objectKey@hash` of a Pod (its identity for the `lost` set). */
export function podIdentity(pod: V1Pod): string {
  return `${objectKey(pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '')}@${pod.metadata?.annotations?.[ACTUATOR_ANNOTATIONS.hash] ?? ''}`;
}

function hashOf(o: { metadata?: { annotations?: Record<string, string> } }): string | undefined {
  return o.metadata?.annotations?.[ACTUATOR_ANNOTATIONS.hash];
}

function terminating(o: { metadata?: { deletionTimestamp?: unknown } }): boolean {
  return o.metadata?.deletionTimestamp !== undefined && o.metadata?.deletionTimestamp !== null;
}

function ownedBy(o: { metadata?: { namespace?: string; labels?: Record<string, string> } }, decided: ReadonlySet<string>): boolean {
  const mi = o.metadata?.labels?.[INSTANCE_LABELS.modelInfer];
  return mi !== undefined && decided.has(objectKey(o.metadata?.namespace ?? 'default', mi));
}

/** Why an existing Pod no longer matches, in words ("revision a1 → b2, incarnation 0 → 1"). */
export function describePodChange(current: V1Pod, next: V1Pod): string {
  const parts: string[] = [];
  const rev = (p: V1Pod) => p.metadata?.labels?.[INSTANCE_LABELS.revision] ?? '?';
  const inc = (p: V1Pod) => p.metadata?.annotations?.[ACTUATOR_ANNOTATIONS.incarnation] ?? '0';
  if (rev(current) !== rev(next)) parts.push(`revision ${rev(current)} → ${rev(next)}`);
  if (inc(current) !== inc(next)) parts.push(`incarnation ${inc(current)} → ${inc(next)}`);
  if (parts.length === 0) parts.push('pod template changed');
  return parts.join(', ');
}

/**
 * Diffs the desired sets against the Pods and Services the API server holds (only objects
 * labelled with a ModelInfer that has a decision are ever deleted). Deterministic order.
 */
export function planObjects(sets: readonly DesiredSet[], pods: readonly V1Pod[], services: readonly V1Service[], opts: PlanOptions = {}): ObjectPlan {
  const decided = new Set(sets.map((s) => objectKey(s.namespace, s.modelInfer)));
  const wantPods = new Map<string, V1Pod>();
  const wantServices = new Map<string, V1Service>();
  for (const set of sets) {
    if (set.owner === undefined) continue;
    const ctx = { owner: set.owner, clusterDomain: opts.clusterDomain, defaultImage: opts.defaultImage };
    const sorted = [...set.instances].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const spec of sorted) {
      const key = objectKey(spec.namespace, spec.name);
      if (!wantPods.has(key)) wantPods.set(key, renderPod(spec, ctx));
      const svcKey = objectKey(spec.namespace, groupServiceName(spec));
      if (!wantServices.has(svcKey)) wantServices.set(svcKey, renderGroupService(spec, ctx));
    }
  }
  // Sets without an owner keep what exists: the ModelInfer may just not be visible yet.
  const frozen = new Set(sets.filter((s) => s.owner === undefined).map((s) => objectKey(s.namespace, s.modelInfer)));
  const plan: ObjectPlan = { createPods: [], createServices: [], deletions: [], waiting: [] };
  diff('Pod', wantPods, pods, plan, decided, frozen, opts.lost ?? new Set());
  diff('Service', wantServices, services, plan, decided, frozen, new Set());
  return plan;
}

function diff<T extends V1Pod | V1Service>(kind: 'Pod' | 'Service', want: Map<string, T>, have: readonly T[], plan: ObjectPlan, decided: ReadonlySet<string>, frozen: ReadonlySet<string>, lost: ReadonlySet<string>): void {
  const existing = new Map<string, T>();
  for (const o of have) existing.set(objectKey(o.metadata?.namespace ?? 'default', o.metadata?.name ?? ''), o);
  for (const [key, desired] of [...want].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const current = existing.get(key);
    if (current === undefined) {
      if (kind === 'Pod' && lost.has(podIdentity(desired as V1Pod))) continue;
      if (kind === 'Pod') plan.createPods.push(desired as V1Pod);
      else plan.createServices.push(desired as V1Service);
    } else if (terminating(current)) {
      plan.waiting.push(key);
    } else if (hashOf(current) !== hashOf(desired)) {
      const reason = kind === 'Pod' ? `replaced: ${describePodChange(current as V1Pod, desired as V1Pod)}` : 'replaced: service changed';
      plan.deletions.push({ kind, namespace: current.metadata!.namespace ?? 'default', name: current.metadata!.name!, uid: current.metadata?.uid, reason });
    }
  }
  for (const [key, current] of [...existing].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (want.has(key) || terminating(current) || !ownedBy(current, decided)) continue;
    const mi = current.metadata?.labels?.[INSTANCE_LABELS.modelInfer] ?? '';
    if (frozen.has(objectKey(current.metadata?.namespace ?? 'default', mi))) continue;
    plan.deletions.push({ kind, namespace: current.metadata!.namespace ?? 'default', name: current.metadata!.name!, uid: current.metadata?.uid, reason: 'no longer in the desired instance set' });
  }
}
