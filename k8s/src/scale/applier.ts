// Applies autoscaler decisions on Kubernetes: each replica change becomes a server-side apply of
// ModelInfer spec.replicas with its own field manager (matrixinfer-autoscaler), so a GitOps tool
// owning the rest of the spec does not conflict, and only replicas change: the infer controller
// sees no template change, hence no new revision and no Pod restarted. Any other kind (a
// Deployment, a StatefulSet) is scaled through its scale subresource, which changes only
// spec.replicas, so its controller starts no rollout either.
import { KubernetesObjectApi, PatchStrategy, type KubeConfig } from '@kubernetes/client-node';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { AUTOSCALER_DECISION, type AutoscalerDecisionData } from '@matrixinfer/control-plane';
import { STREAMS, decodeEvent, startResumableTail } from '@matrixinfer/events';
import type { Logger } from 'winston';
import { InvalidK8sActuatorOptionError } from '../actuator/errors.js';
import { AUTOSCALER_FIELD_MANAGER, replicaApplies, replicasApplyBody, type ReplicaApply } from './plan.js';
import { scaleApi } from './scale-api.js';

/** Options of startScaleApplier. */
export interface ScaleApplierOptions {
  nc: NatsConnection;
  kubeConfig: KubeConfig;
  logger: Logger;
  /** Only this namespace (default all). */
  namespace?: string;
  /** Decisions older than this when read are not applied (default 60 s). */
  maxAgeMs?: number;
  now?: () => number;
  /** Replaces the server-side apply (tests). */
  apply?: (a: ReplicaApply) => Promise<void>;
}

/** A running scale applier. */
export interface ScaleApplier {
  /** Resolves once the decisions present at start were read. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Server-side apply of spec.replicas as AUTOSCALER_FIELD_MANAGER (force: the autoscaler owns replicas). */
export function serverSideApplyReplicas(kc: KubeConfig): (a: ReplicaApply) => Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const scales = scaleApi(kc);
  return async (a) => {
    if (a.ref) await scales.set(a.namespace, { ...a.ref, name: a.name }, a.replicas);
    else await api.patch(replicasApplyBody(a), undefined, undefined, AUTOSCALER_FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  };
}

/** Follows `mi.decisions.autoscaler.>` and applies each replica change to its target. */
export async function startScaleApplier(opts: ScaleApplierOptions): Promise<ScaleApplier> {
  const maxAgeMs = opts.maxAgeMs ?? 60_000;
  if (!(maxAgeMs >= 0)) throw new InvalidK8sActuatorOptionError(`maxAgeMs must be >= 0, got ${maxAgeMs}`);
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ component: 'scale-applier' });
  const apply = opts.apply ?? serverSideApplyReplicas(opts.kubeConfig);
  const tail = await startResumableTail({
    js: jetstream(opts.nc),
    stream: STREAMS.decisions,
    filter: 'mi.decisions.autoscaler.>',
    from: 'last-per-subject',
    onMessage: async (m) => {
      const env = decodeEvent<AutoscalerDecisionData>(m.data);
      if (env.type !== AUTOSCALER_DECISION) return;
      if (opts.namespace !== undefined && env.data?.namespace !== opts.namespace) return;
      for (const a of replicaApplies(env.data, Date.parse(env.time), now(), maxAgeMs)) {
        try {
          await apply(a);
          log.info('replicas applied', { namespace: a.namespace, kind: a.ref?.kind ?? 'ModelInfer', name: a.name, replicas: a.replicas, reason: a.reason });
        } catch (err) {
          // The autoscaler decides again next tick from the replicas it then sees.
          log.warn('replicas not applied', { namespace: a.namespace, kind: a.ref?.kind ?? 'ModelInfer', name: a.name, replicas: a.replicas, error: (err as Error).message });
        }
      }
    },
    onError: (m, err) => log.warn('ignoring a malformed autoscaler decision', { subject: m.subject, error: (err as Error).message }),
  });
  return { ready: tail.caughtUp, stop: () => tail.stop() };
}
