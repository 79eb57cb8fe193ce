// The Kubernetes actuator: applies the infer controller's InstancesDecisions as Pods and headless
// Services (planObjects is the pure core), and turns what the API server reports of those Pods
// into the same InstanceObservations the local actuator publishes. Level-triggered: every
// decision, Pod or Service change re-plans from the latest decisions and the informers' caches,
// so a restart, a lost watch or a failed request converges on the next pass.
import type { KubeConfig, V1Pod, V1Service } from '@kubernetes/client-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import {
  INSTANCE_OBSERVATION,
  INSTANCES_DECISION,
  STREAMS,
  decodeEvent,
  makeEvent,
  observedSubject,
  publishEvent,
  startResumableTail,
  type InstanceObservation,
  type InstancesDecision,
} from '@matrixinfer/events';
import type { Logger } from 'winston';
import type { ControlPlaneMetrics } from '@matrixinfer/control-plane';
import { InvalidK8sActuatorOptionError } from './errors.js';
import { kubeObjects, watchManaged, type KubeObjects, type Watched } from './kube.js';
import { observeGone, observePod, observationKey, type PodObservation } from './observe.js';
import { objectKey, planObjects, podIdentity, type DesiredSet } from './plan.js';
import type { Owner } from './pods.js';

/** Options of startK8sActuator. */
export interface K8sActuatorOptions {
  nc: NatsConnection;
  kubeConfig: KubeConfig;
  logger: Logger;
  /** Only this namespace (default: all namespaces). */
  namespace?: string;
  /** DNS domain of ENTRY_ADDRESS (default cluster.local). */
  clusterDomain?: string;
  /** Image of Pods made from specs without a template (default the simulator image). */
  defaultImage?: string;
  /** Re-plan this often even without changes (retries failed requests, owners not found yet); default 5 s. */
  retryMs?: number;
  /** Re-report every ready Pod this often, so MI_OBSERVED (limited by age) never forgets it; default 1 h. */
  resyncMs?: number;
  now?: () => number;
  /** Replaces the API client (tests). */
  objects?: KubeObjects;
  /**
   * The control plane's metrics (served on its /metrics): mi_actuator_operations_total and
   * mi_actuator_failures_total as the local actuator records them, with Kubernetes operations
   * and reasons, and reconcile passes under controller="actuator". Absent: nothing recorded.
   */
  metrics?: ControlPlaneMetrics;
}

/** A running Kubernetes actuator. */
export interface K8sActuator {
  /** Resolves once decisions are read and both informers have listed. */
  ready: Promise<void>;
  /** Latest observation per managed Pod (sorted by namespace/name). */
  observations(): PodObservation[];
  /** Stops following decisions and watching; Pods keep running (they belong to the cluster). */
  stop(): Promise<void>;
}

const SOURCE = 'actuator/kubernetes';

/** Starts the Kubernetes actuator. */
export async function startK8sActuator(opts: K8sActuatorOptions): Promise<K8sActuator> {
  const retryMs = opts.retryMs ?? 5_000;
  const resyncMs = opts.resyncMs ?? 3_600_000;
  if (!(retryMs > 0) || !(resyncMs > 0)) throw new InvalidK8sActuatorOptionError(`retryMs and resyncMs must be > 0, got ${retryMs} and ${resyncMs}`);
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ component: 'actuator-kubernetes' });
  const api = opts.objects ?? kubeObjects(opts.kubeConfig);
  const js = jetstream(opts.nc);
  const desired = new Map<string, InstancesDecision>();
  const owners = new Map<string, Owner | undefined>();
  const published = new Map<string, { key: string; obs: PodObservation }>();
  // Pods the actuator asked to delete (key → uid): their disappearance is `stopped`, not a loss.
  const deleting = new Map<string, string | undefined>();
  // Pods that vanished on their own: left to the recovery policy (a new incarnation).
  const lost = new Set<string>();
  let closed = false;
  const m = actuatorRecorders(opts.metrics);

  let chain: Promise<void> = Promise.resolve();
  function publish(o: PodObservation, force = false): void {
    const key = objectKey(o.namespace, o.instance);
    const k = observationKey(o);
    if (!force && published.get(key)?.key === k) return;
    published.set(key, { key: k, obs: o });
    // Counted on the change to failed, once per distinct observation (not on re-reports).
    if (!force && o.phase === 'failed') m.podFailed?.inc();
    const obs: InstanceObservation = { ...o, timeMs: now() };
    const subject = observedSubject('instance', o.namespace, o.modelInfer, o.instance);
    const event = makeEvent(INSTANCE_OBSERVATION, SOURCE, subject, obs, { now: () => obs.timeMs });
    log.info('instance observed', { subject, phase: o.phase, reason: o.reason, address: o.address });
    chain = chain.then(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await publishEvent(js, subject, event);
          return;
        } catch (err) {
          if (opts.nc.isClosed() || (closed && attempt >= 2)) {
            log.warn('observation not published', { subject, error: (err as Error).message });
            return;
          }
          await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** Math.min(attempt - 1, 5))));
        }
      }
    });
  }

  // A Pod being deleted counts as gone at once (it will not serve again): `stopped` when the
  // actuator deleted it, else `exited`, which the recovery policy answers with a new incarnation.
  function gone(pod: V1Pod): void {
    const key = objectKey(pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '');
    const ours = deleting.has(key);
    if (!ours && !lost.has(podIdentity(pod))) m.podLost?.inc();
    if (!ours) lost.add(podIdentity(pod));
    const o = observeGone(pod, ours, ours ? 'pod deleted by the actuator' : 'pod deleted outside the actuator (recovery policy decides)');
    if (o !== null) publish(o);
  }
  function onPodChange(pod: V1Pod): void {
    if (pod.metadata?.deletionTimestamp != null) gone(pod);
    else {
      const o = observePod(pod);
      if (o !== null) publish(o);
    }
    schedule();
  }
  function onPodDelete(pod: V1Pod): void {
    gone(pod);
    deleting.delete(objectKey(pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? ''));
    schedule();
  }

  const pods: Watched<V1Pod> = watchManaged<V1Pod>(opts.kubeConfig, 'Pod', opts.namespace, { onChange: onPodChange, onDelete: onPodDelete }, log);
  const services: Watched<V1Service> = watchManaged<V1Service>(opts.kubeConfig, 'Service', opts.namespace, { onChange: () => schedule(), onDelete: () => schedule() }, log);

  async function ownerOf(d: InstancesDecision): Promise<Owner | undefined> {
    const key = `${objectKey(d.namespace, d.modelInfer)}@${d.generation}`;
    if (owners.has(key)) return owners.get(key);
    const owner = await api.modelInferOwner(d.namespace, d.modelInfer);
    owners.set(key, owner);
    return owner;
  }

  async function reconcile(): Promise<void> {
    const sets: DesiredSet[] = [];
    for (const d of desired.values()) {
      if (opts.namespace !== undefined && d.namespace !== opts.namespace) continue;
      const owner = await ownerOf(d);
      sets.push({ namespace: d.namespace, modelInfer: d.modelInfer, instances: d.instances, owner });
    }
    const plan = planObjects(sets, pods.list(), services.list(), { lost, clusterDomain: opts.clusterDomain, defaultImage: opts.defaultImage });
    for (const del of plan.deletions) {
      if (closed) return;
      const key = objectKey(del.namespace, del.name);
      if (del.kind === 'Pod') deleting.set(key, del.uid);
      try {
        const out = await api.delete(del.kind, del.namespace, del.name, del.uid);
        if (out === 'deleted') (del.kind === 'Pod' ? m.deletePod : m.deleteService)?.inc();
        log.info(`${del.kind.toLowerCase()} ${out}`, { namespace: del.namespace, name: del.name, reason: del.reason });
      } catch (err) {
        m.deleteFailed?.inc();
        log.warn('delete failed; retrying', { kind: del.kind, namespace: del.namespace, name: del.name, error: (err as Error).message });
      }
    }
    for (const obj of [...plan.createServices, ...plan.createPods]) {
      if (closed) return;
      const kind = obj.kind === 'Pod' ? 'Pod' : 'Service';
      try {
        const out = kind === 'Pod' ? await api.createPod(obj as V1Pod) : await api.createService(obj as V1Service);
        // Counted when the API server made it ('exists': an informer cache behind our own create).
        if (out === 'created') (kind === 'Pod' ? m.createPod : m.createService)?.inc();
        log.info(`${kind.toLowerCase()} ${out}`, { namespace: obj.metadata?.namespace, name: obj.metadata?.name });
      } catch (err) {
        m.createFailed?.inc();
        log.warn('create failed; retrying', { kind, namespace: obj.metadata?.namespace, name: obj.metadata?.name, error: (err as Error).message });
      }
    }
    // A lost Pod whose name is no longer desired is forgotten (a later spec may reuse the name).
    for (const id of lost) if (!isWanted(id, sets)) lost.delete(id);
  }

  // Single flight: changes during a pass coalesce into one more pass.
  let dirty = false;
  let loop: Promise<void> | null = null;
  let caughtUp = false;
  function schedule(): void {
    dirty = true;
    if (loop !== null || closed || !caughtUp) return;
    loop = (async () => {
      while (dirty && !closed) {
        dirty = false;
        const started = performance.now();
        try {
          await reconcile();
          m.reconcileOk?.inc();
        } catch (err) {
          m.reconcileError?.inc();
          log.error('reconcile failed', { error: (err as Error).message });
        }
        m.reconcileDuration?.observe((performance.now() - started) / 1000);
      }
      loop = null;
    })();
  }
  const retry = setInterval(() => {
    // ModelInfers not found yet are looked up again; found uids stay cached per generation.
    for (const [k, v] of owners) if (v === undefined) owners.delete(k);
    schedule();
  }, retryMs);
  retry.unref();
  const resync = setInterval(() => {
    for (const { obs } of published.values()) if (obs.phase === 'ready') publish({ ...obs, reason: 'periodic re-report: still ready' }, true);
  }, resyncMs);
  resync.unref();

  const tail = await startResumableTail({
    js,
    stream: STREAMS.decisions,
    filter: 'mi.decisions.infer.>',
    // Level-triggered decisions: the last one per ModelInfer subject is its whole desired set.
    from: 'last-per-subject',
    onMessage: (m) => {
      const env = decodeEvent(m.data);
      if (env.type !== INSTANCES_DECISION) return;
      const d = env.data as InstancesDecision;
      if (typeof d?.modelInfer !== 'string' || typeof d.namespace !== 'string' || !Array.isArray(d.instances)) throw new TypeError('malformed InstancesDecision');
      desired.set(objectKey(d.namespace, d.modelInfer), d);
      log.info('instances decision', { namespace: d.namespace, modelInfer: d.modelInfer, instances: d.instances.length, reason: d.reason });
      schedule();
    },
    onError: (m, err) => log.warn('ignoring a malformed decision', { subject: m.subject, error: (err as Error).message }),
  });
  const ready = Promise.all([tail.caughtUp, pods.synced, services.synced]).then(() => {
    caughtUp = true;
    schedule();
  });

  return {
    ready,
    observations: () => [...published.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v.obs),
    async stop() {
      if (closed) return;
      closed = true;
      clearInterval(retry);
      clearInterval(resync);
      await tail.stop();
      await Promise.all([pods.stop(), services.stop()]);
      await loop;
      await chain;
    },
  };
}

// Label children bound once (no metrics: all undefined, nothing recorded).
function actuatorRecorders(metrics: ControlPlaneMetrics | undefined) {
  const ops = metrics?.actuatorOperations;
  const fail = metrics?.actuatorFailures;
  return {
    createPod: ops?.labels('create-pod'),
    createService: ops?.labels('create-service'),
    deletePod: ops?.labels('delete-pod'),
    deleteService: ops?.labels('delete-service'),
    createFailed: fail?.labels('create-failed'),
    deleteFailed: fail?.labels('delete-failed'),
    podFailed: fail?.labels('pod-failed'),
    podLost: fail?.labels('pod-lost'),
    reconcileOk: metrics?.reconciles.labels('actuator', 'ok'),
    reconcileError: metrics?.reconciles.labels('actuator', 'error'),
    reconcileDuration: metrics?.reconcileDuration.labels('actuator'),
  };
}

function isWanted(identity: string, sets: readonly DesiredSet[]): boolean {
  const key = identity.slice(0, identity.lastIndexOf('@'));
  return sets.some((s) => s.instances.some((i) => objectKey(i.namespace, i.name) === key));
}
