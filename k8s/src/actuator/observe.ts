// Pure translation of a Pod (as the API server reports it) into the InstanceObservation the local
// actuator would publish for the same instance, so the infer controller's recovery and rollout
// logic, the projector's routing table and the collector work unchanged on Kubernetes.
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { INSTANCE_LABELS, type InstanceObservation } from '@matrixinfer/events';
import { ACTUATOR_ANNOTATIONS, DEFAULT_ENGINE_PORT } from './pods.js';

/** An observation without its time (the adapter stamps it). */
export type PodObservation = Omit<InstanceObservation, 'timeMs'>;

// Waiting reasons after which a container will not come up by itself soon.
const BROKEN_WAITING = new Set(['CrashLoopBackOff', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

function isReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** `http://<podIP>:<engine port>` (IPv6 in brackets), or undefined before the Pod has an IP. */
export function podAddress(pod: V1Pod): string | undefined {
  const ip = pod.status?.podIP;
  if (!ip) return undefined;
  const port = Number(pod.metadata?.annotations?.[ACTUATOR_ANNOTATIONS.enginePort] ?? pod.spec?.containers?.[0]?.ports?.[0]?.containerPort ?? DEFAULT_ENGINE_PORT);
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}

function restarts(statuses: readonly V1ContainerStatus[]): number {
  return statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
}

// The first container that is broken: terminated now, or waiting for a reason that means trouble.
function trouble(statuses: readonly V1ContainerStatus[]): { reason: string; exitCode?: number; signal?: number } | undefined {
  for (const s of statuses) {
    const t = s.state?.terminated;
    if (t) return { reason: `container ${s.name} terminated: ${t.reason ?? 'unknown'} (exit code ${t.exitCode})`, exitCode: t.exitCode, signal: t.signal };
    const w = s.state?.waiting;
    if (w?.reason && BROKEN_WAITING.has(w.reason)) {
      const last = s.lastState?.terminated;
      const tail = last ? `; last exit code ${last.exitCode} (${last.reason ?? 'unknown'})` : w.message ? `: ${w.message}` : '';
      return { reason: `container ${s.name} ${w.reason}${tail}`, exitCode: last?.exitCode };
    }
  }
  return undefined;
}

/**
 * The observation of `pod`: pending (not scheduled) → starting (scheduled or running, not
 * ready) → ready (Ready condition, address = pod IP and engine port) | failed (phase Failed, or
 * a container crashed / cannot start while not ready) | exited (phase Succeeded). Restarts
 * and termination reasons go into `reason`. Null for a Pod without the instance labels.
 */
export function observePod(pod: V1Pod): PodObservation | null {
  const labels = pod.metadata?.labels ?? {};
  const modelInfer = labels[INSTANCE_LABELS.modelInfer];
  const name = pod.metadata?.name;
  if (modelInfer === undefined || name === undefined) return null;
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  const base: PodObservation = { instance: name, namespace: pod.metadata?.namespace ?? 'default', modelInfer, phase: 'pending', revision: labels[INSTANCE_LABELS.revision] ?? '', labels: { ...labels } };
  const inc = Number(pod.metadata?.annotations?.[ACTUATOR_ANNOTATIONS.incarnation] ?? 0);
  if (inc > 0) base.incarnation = inc;
  const address = podAddress(pod);
  const n = restarts(statuses);
  const restartNote = n > 0 ? `; ${n} container restart${n === 1 ? '' : 's'}` : '';
  const phase = pod.status?.phase;
  if (phase === 'Failed') {
    const t = trouble(statuses);
    return { ...base, phase: 'failed', exitCode: t?.exitCode ?? null, reason: `pod failed: ${pod.status?.reason ?? t?.reason ?? 'unknown'}${pod.status?.message ? ` (${pod.status.message})` : ''}${restartNote}` };
  }
  if (phase === 'Succeeded') return { ...base, phase: 'exited', exitCode: 0, reason: `pod succeeded: every container exited 0${restartNote}` };
  if (isReady(pod) && address !== undefined) return { ...base, phase: 'ready', address, reason: `pod ready on ${pod.spec?.nodeName ?? 'its node'}${restartNote}` };
  const t = trouble(statuses);
  if (t) return { ...base, phase: 'failed', ...(address ? { address } : {}), exitCode: t.exitCode ?? null, reason: `${t.reason}${restartNote}` };
  if (!pod.spec?.nodeName) {
    const unschedulable = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False');
    return { ...base, reason: unschedulable ? `not scheduled: ${unschedulable.reason ?? ''} ${unschedulable.message ?? ''}`.trim() : 'waiting for a node' };
  }
  return { ...base, phase: 'starting', ...(address ? { address } : {}), reason: `${phase === 'Running' ? 'running, not ready yet' : 'starting'} on ${pod.spec.nodeName}${restartNote}` };
}

/** The observation of a Pod that is gone: `stopped` when the actuator deleted it, else `exited`. */
export function observeGone(pod: V1Pod, deletedByActuator: boolean, why: string): PodObservation | null {
  const o = observePod(pod);
  if (o === null) return null;
  const out: PodObservation = { ...o, phase: deletedByActuator ? 'stopped' : 'exited', reason: why };
  delete out.address;
  return out;
}

/** Identity of an observation for de-duplication: a watch event that changes none of it is not published. */
export function observationKey(o: PodObservation): string {
  return JSON.stringify([o.phase, o.address ?? '', o.reason ?? '', o.revision, o.incarnation ?? 0, o.exitCode ?? null]);
}
