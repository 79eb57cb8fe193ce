// The infer controller's decision: from a ModelInfer, the instance set last published for it
// and the latest observation of each instance, the next desired instance set (or a reason why
// nothing changes yet). Level-triggered and pure: the published set is the memory, so any
// replica that reads the same inputs decides the same thing, and a restart loses nothing.
import { stableStringify, type InstanceObservation, type InstanceSpec } from '@matrixinfer/events';
import type { IntOrPercent, ModelInfer } from '../types.js';
import { byName, renderGroup } from './instances.js';

export interface InferInputs {
  /** The ModelInfer, or null once it is deleted. */
  mi: ModelInfer | null;
  /** Instances of the last published decision ([] when none yet). */
  published: InstanceSpec[];
  /** Latest observation per instance name. */
  observed: ReadonlyMap<string, InstanceObservation>;
  nowMs: number;
}

export interface InferOutcome {
  /** The next instance set with its reason; absent when the published set stays. */
  next?: { instances: InstanceSpec[]; reason: string };
  /** Why nothing (more) changes now, when something is still pending (rollout, grace period). */
  waiting?: string;
  /** When to decide again even if no event arrives (a restart grace period ends). */
  wakeAtMs?: number;
  /** The spec cannot be turned into instances. */
  invalid?: string;
}

/** Resolves an int-or-percent of `total`; percent rounds up for surge and down for unavailable. */
export function resolveIntOrPercent(v: IntOrPercent | undefined, total: number, dflt: number, roundUp: boolean): number {
  if (v === undefined) return dflt;
  if (typeof v === 'number') return Math.max(0, Math.floor(v));
  const m = /^(\d+)%$/.exec(v.trim());
  if (!m) return /^\d+$/.test(v.trim()) ? Number(v.trim()) : dflt;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** maxUnavailable, maxSurge, partition of a ModelInfer with defaults (1, 0, 0); never both 0. */
export function rolloutParams(mi: ModelInfer): { maxUnavailable: number; maxSurge: number; partition: number } {
  const rs = mi.spec.rolloutStrategy;
  // Kthena nests the numbers under rollingUpdateConfiguration; accept that too (flat wins).
  const nested = ((rs as { rollingUpdateConfiguration?: { maxUnavailable?: IntOrPercent; maxSurge?: IntOrPercent; partition?: number } } | undefined)?.rollingUpdateConfiguration) ?? {};
  const replicas = mi.spec.replicas ?? 1;
  let maxUnavailable = resolveIntOrPercent(rs?.maxUnavailable ?? nested.maxUnavailable, replicas, 1, false);
  const maxSurge = resolveIntOrPercent(rs?.maxSurge ?? nested.maxSurge, replicas, 0, true);
  // Kubernetes rejects 0/0 (no progress possible); we progress one group at a time instead.
  if (maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  const partition = Math.max(0, Math.floor(rs?.partition ?? nested.partition ?? 0));
  return { maxUnavailable, maxSurge, partition };
}

function groupsOf(instances: InstanceSpec[]): Map<number, InstanceSpec[]> {
  const m = new Map<number, InstanceSpec[]>();
  for (const i of instances) {
    const g = m.get(i.group);
    if (g) g.push(i);
    else m.set(i.group, [i]);
  }
  return m;
}

function incarnationsOf(instances: InstanceSpec[]): (name: string) => number {
  const m = new Map(instances.map((i) => [i.name, i.incarnation ?? 0]));
  return (name) => m.get(name) ?? 0;
}

/** The observation of `i` if it is about this very run (same revision and incarnation). */
export function currentObservation(i: InstanceSpec, observed: ReadonlyMap<string, InstanceObservation>): InstanceObservation | undefined {
  const o = observed.get(i.name);
  if (!o || o.revision !== i.revision || (o.incarnation ?? 0) !== (i.incarnation ?? 0)) return undefined;
  return o;
}

/** True when every instance of the group is observed ready in its current run. */
export function groupReady(instances: InstanceSpec[], observed: ReadonlyMap<string, InstanceObservation>): boolean {
  return instances.length > 0 && instances.every((i) => currentObservation(i, observed)?.phase === 'ready');
}

/** True when a published group is what the current template renders (same specs). */
export function groupUpdated(mi: ModelInfer, group: number, instances: InstanceSpec[]): boolean {
  return stableStringify(renderGroup(mi, group, incarnationsOf(instances))) === stableStringify([...instances].sort(byName));
}

function isFailure(o: InstanceObservation | undefined): o is InstanceObservation {
  return o !== undefined && (o.phase === 'failed' || o.phase === 'exited');
}

function bump(instances: InstanceSpec[], pick: (i: InstanceSpec) => boolean): InstanceSpec[] {
  return instances.map((i) => (pick(i) ? { ...i, incarnation: (i.incarnation ?? 0) + 1 } : i));
}

/** Maximum delay between recreates of a crash-looping instance. */
export const MAX_CRASH_BACKOFF_MS = 30_000;

/**
 * Extra delay before recreating an instance that was already recreated `incarnation` times: 0
 * for the first failure, then 1 s, 2 s, 4 s ... up to 30 s, so a command that cannot start does
 * not flood MI_DECISIONS with one restart per millisecond. The grace period wins when longer.
 */
export function crashBackoffMs(incarnation: number): number {
  if (incarnation <= 0) return 0;
  return Math.min(MAX_CRASH_BACKOFF_MS, 1000 * 2 ** (incarnation - 1));
}

/** Recovery: restart failed role instances or groups once their grace period has passed. */
function recover(mi: ModelInfer, groups: Map<number, InstanceSpec[]>, inputs: InferInputs, reasons: string[], out: InferOutcome): void {
  const policy = mi.spec.recoveryPolicy ?? 'RoleRecreate';
  if (policy === 'None') return;
  const graceMs = Math.max(0, mi.spec.template.restartGracePeriodSeconds ?? 0) * 1000;
  const delayMs = (i: InstanceSpec) => Math.max(graceMs, crashBackoffMs(i.incarnation ?? 0));
  for (const [g, instances] of [...groups].sort((a, b) => a[0] - b[0])) {
    const failed = instances.filter((i) => isFailure(currentObservation(i, inputs.observed))).sort(byName);
    if (failed.length === 0) continue;
    const due = failed.filter((i) => currentObservation(i, inputs.observed)!.timeMs + delayMs(i) <= inputs.nowMs);
    for (const i of failed) {
      const at = currentObservation(i, inputs.observed)!.timeMs + delayMs(i);
      if (at > inputs.nowMs) {
        out.wakeAtMs = out.wakeAtMs === undefined ? at : Math.min(out.wakeAtMs, at);
        out.waiting = `recovery: ${i.name} ${currentObservation(i, inputs.observed)!.phase}, recreate in ${at - inputs.nowMs} ms (grace period ${graceMs / 1000}s, restart ${i.incarnation ?? 0})`;
      }
    }
    if (due.length === 0) continue;
    const why = due.map((i) => `${i.name} ${currentObservation(i, inputs.observed)!.phase}${currentObservation(i, inputs.observed)!.reason ? ` (${currentObservation(i, inputs.observed)!.reason})` : ''}`).join(', ');
    if (policy === 'InferGroupRecreate') {
      groups.set(g, bump(instances, () => true));
      reasons.push(`recovery (InferGroupRecreate): recreate group ${g} because ${why}`);
    } else {
      const roleIds = new Set(due.map((i) => `${i.role}/${i.roleIndex}`));
      groups.set(g, bump(instances, (i) => roleIds.has(`${i.role}/${i.roleIndex}`)));
      reasons.push(`recovery (RoleRecreate): recreate ${[...roleIds].sort().join(', ')} of group ${g} because ${why}`);
    }
  }
}

/** Decides the next instance set of one ModelInfer. */
export function reconcileInfer(inputs: InferInputs): InferOutcome {
  const { mi, published } = inputs;
  const out: InferOutcome = {};
  if (!mi) {
    if (published.length > 0) out.next = { instances: [], reason: `ModelInfer deleted: stop all ${published.length} instances` };
    return out;
  }
  if (!Array.isArray(mi.spec?.template?.roles) || mi.spec.template.roles.length === 0) {
    return { invalid: `ModelInfer ${mi.metadata.name} has no roles` };
  }
  const R = Math.max(0, Math.floor(mi.spec.replicas ?? 1));
  const groups = groupsOf(published);
  const reasons: string[] = [];
  const { maxUnavailable, maxSurge, partition } = rolloutParams(mi);

  // 1. Recovery acts on the published set (a replaced group below restarts anyway).
  recover(mi, groups, inputs, reasons, out);

  // 2. Scale: every index below R exists; new groups use the current template.
  const created: number[] = [];
  for (let g = 0; g < R; g++) {
    if (!groups.has(g)) {
      groups.set(g, renderGroup(mi, g));
      created.push(g);
    }
  }
  if (created.length > 0) reasons.push(`scale: create group${created.length > 1 ? 's' : ''} ${created.join(', ')} (replicas ${R})`);

  // 3. Rolling update of groups at or above the partition that the template no longer renders.
  const ready = (g: number) => groupReady(groups.get(g) ?? [], inputs.observed);
  const outdated = [...groups.keys()].filter((g) => g < R && g >= partition && !groupUpdated(mi, g, groups.get(g)!)).sort((a, b) => b - a);
  const extra = [...groups.keys()].filter((g) => g >= R).sort((a, b) => a - b);
  const keepSurge = new Set<number>();
  if (outdated.length > 0) {
    for (let k = 0; k < Math.min(maxSurge, outdated.length); k++) keepSurge.add(R + k);
    const surged: number[] = [];
    for (const g of keepSurge) {
      if (!groups.has(g) || !groupUpdated(mi, g, groups.get(g)!)) {
        groups.set(g, renderGroup(mi, g, incarnationsOf(groups.get(g) ?? [])));
        surged.push(g);
      }
    }
    if (surged.length > 0) reasons.push(`rolling update: surge group${surged.length > 1 ? 's' : ''} ${surged.join(', ')} (maxSurge ${maxSurge})`);
    let available = [...groups.keys()].filter((g) => (g < R || keepSurge.has(g)) && ready(g)).length;
    const minAvailable = R - maxUnavailable;
    const order = [...outdated.filter((g) => !ready(g)), ...outdated.filter((g) => ready(g))];
    const replaced: number[] = [];
    const held: number[] = [];
    for (const g of order) {
      const wasReady = ready(g);
      if (wasReady && available - 1 < minAvailable) {
        held.push(g);
        continue;
      }
      const from = [...new Set(groups.get(g)!.map((i) => i.revision))].sort().join('+');
      groups.set(g, renderGroup(mi, g, incarnationsOf(groups.get(g)!)));
      const to = [...new Set(groups.get(g)!.map((i) => i.revision))].sort().join('+');
      replaced.push(g);
      reasons.push(`rolling update: replace group ${g} (revision ${from} → ${to}; ${wasReady ? `${available - 1}` : `${available}`}/${R} groups stay available, maxUnavailable ${maxUnavailable})`);
      if (wasReady) available--;
    }
    if (held.length > 0) {
      out.waiting = `rolling update: ${held.length} group${held.length > 1 ? 's' : ''} (${held.sort((a, b) => a - b).join(', ')}) wait until replaced groups are ready (${available}/${R} available, maxUnavailable ${maxUnavailable})`;
    }
  }
  // 4. Groups above R: kept only as surge during a rollout.
  const removed = extra.filter((g) => !keepSurge.has(g));
  for (const g of removed) groups.delete(g);
  if (removed.length > 0) {
    reasons.push(
      outdated.length === 0 && removed.every((g) => g < R + maxSurge)
        ? `rolling update done: remove surge group${removed.length > 1 ? 's' : ''} ${removed.join(', ')}`
        : `scale: remove group${removed.length > 1 ? 's' : ''} ${removed.join(', ')} (replicas ${R})`,
    );
  }

  const instances = [...groups.values()].flat().sort(byName);
  if (stableStringify(instances) !== stableStringify([...published].sort(byName))) {
    out.next = { instances, reason: reasons.join('; ') || 'instance set changed' };
  }
  return out;
}
