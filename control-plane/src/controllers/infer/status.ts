// ModelInfer status from its spec, the published instance set and the observations. Pure; the
// projector materializes it in `mi-status`, the model status aggregates it.
import { INSTANCE_LABELS, type InstanceObservation, type InstanceSpec } from '@matrixinfer/events';
import type { Condition, ModelInfer, ModelInferStatus } from '../types.js';
import { templateRevision } from './instances.js';
import { currentObservation, groupReady, groupUpdated } from './reconcile.js';

/** Recreates after which a still-failing instance makes the ModelInfer Failed (it keeps being retried). */
export const CRASH_LOOP_RESTARTS = 5;

function cond(type: string, ok: boolean, reason: string, message: string): Condition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

/** The status a ModelInfer shows: groups running, updated, available; revisions; conditions. */
export function inferStatus(mi: ModelInfer, published: InstanceSpec[], observed: ReadonlyMap<string, InstanceObservation>, revision = 0): ModelInferStatus {
  const replicas = Math.max(0, Math.floor(mi.spec.replicas ?? 1));
  const groups = new Map<number, InstanceSpec[]>();
  for (const i of published) groups.set(i.group, [...(groups.get(i.group) ?? []), i]);
  let updated = 0;
  let available = 0;
  for (const [g, instances] of groups) {
    if (groupUpdated(mi, g, instances)) updated++;
    if (groupReady(instances, observed)) available++;
  }
  const revisions = [...new Set(published.map((i) => i.revision))].sort();
  const failures = published
    .map((i) => ({ i, o: currentObservation(i, observed) }))
    .filter(({ o }) => o && (o.phase === 'failed' || o.phase === 'exited'))
    .map(({ i, o }) => `${i.name} ${o!.phase}${o!.reason ? `: ${o!.reason}` : ''}`);
  const policy = mi.spec.recoveryPolicy ?? 'RoleRecreate';
  // An instance that keeps failing after several recreates will not heal by itself.
  const looping = published
    .filter((i) => (i.incarnation ?? 0) >= CRASH_LOOP_RESTARTS && !['ready', 'starting', 'pending'].includes(currentObservation(i, observed)?.phase ?? 'pending'))
    .map((i) => `${i.name} (recreated ${i.incarnation} times)`);
  const conditions: Condition[] = [
    available >= replicas
      ? cond('Available', true, 'AllGroupsReady', `${available}/${replicas} infer groups ready`)
      : cond('Available', false, 'GroupsNotReady', `${available}/${replicas} infer groups ready`),
    updated >= replicas && groups.size === replicas && available >= replicas
      ? cond('Progressing', false, 'Complete', 'every infer group runs the current template and is ready')
      : cond('Progressing', true, 'Reconciling', `${updated}/${replicas} updated, ${available}/${replicas} ready, ${groups.size} running`),
    failures.length > 0 && policy === 'None'
      ? cond('Failed', true, 'InstanceFailed', `${failures.join('; ')} (recoveryPolicy None)`)
      : looping.length > 0
        ? cond('Failed', true, 'CrashLoop', `keeps failing: ${looping.join('; ')}`)
        : cond('Failed', false, failures.length > 0 ? 'Recovering' : 'NoFailure', failures.length > 0 ? `recovering: ${failures.join('; ')}` : 'no instance failed'),
  ];
  // Instances whose engine is not installed here run the simulator: shown, never silent.
  const simulated = published.map((i) => currentObservation(i, observed)).filter((o) => o?.simulatedEngine !== undefined && o.phase !== 'stopped');
  if (simulated.length > 0) {
    const engines = [...new Set(simulated.map((o) => o!.simulatedEngine!))].sort().join(', ');
    conditions.push(cond('Simulated', true, 'EngineNotInstalled', `${simulated.length}/${published.length} instances run the built-in simulator in place of ${engines} (not installed on this machine)`));
  }
  const updateRevision = templateRevision(mi);
  return {
    observedGeneration: mi.metadata.generation ?? revision,
    replicas,
    currentReplicas: groups.size,
    updatedReplicas: updated,
    availableReplicas: available,
    currentRevision: updated >= groups.size ? updateRevision : revisions.join('+'),
    updateRevision,
    revisions,
    labelSelector: `${INSTANCE_LABELS.modelInfer}=${mi.metadata.name}`,
    conditions,
  };
}
