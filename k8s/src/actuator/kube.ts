// Thin Kubernetes edge of the actuator (@kubernetes/client-node): create and delete Pods and
// Services (409 on create = already there, 404 on delete = already gone: both fine), read a
// ModelInfer's uid for owner references, and informers (list, then watch from the list's
// resourceVersion; relist on 410) restarted with backoff when their watch fails.
import { CoreV1Api, CustomObjectsApi, makeInformer, type Informer, type KubeConfig, type KubernetesObject, type ObjectCache, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { INSTANCE_LABELS } from '@matrixinfer/events';
import type { Logger } from 'winston';
import { apiStatusOf, K8sApiRequestError } from './errors.js';
import type { Owner } from './pods.js';

/** Selector of every object the actuator manages. */
export const MANAGED_SELECTOR = INSTANCE_LABELS.modelInfer;

/** What the actuator loop needs from the API server (a fake in unit tests). */
export interface KubeObjects {
  createPod(pod: V1Pod): Promise<'created' | 'exists'>;
  createService(svc: V1Service): Promise<'created' | 'exists'>;
  /** Deletes by name, with a uid precondition when given; 'gone' when it was already. */
  delete(kind: 'Pod' | 'Service', namespace: string, name: string, uid?: string): Promise<'deleted' | 'gone'>;
  /** The ModelInfer's name and uid, undefined when it does not exist. */
  modelInferOwner(namespace: string, name: string): Promise<Owner | undefined>;
}

function wrap(what: string, err: unknown): InstanceType<typeof K8sApiRequestError> {
  const status = apiStatusOf(err);
  return new K8sApiRequestError(`${what}: ${status !== undefined ? `HTTP ${status}` : (err as Error).message}`, { cause: err });
}

/** KubeObjects over a kubeconfig. */
export function kubeObjects(kc: KubeConfig): KubeObjects {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  async function create(what: string, fn: () => Promise<unknown>): Promise<'created' | 'exists'> {
    try {
      await fn();
      return 'created';
    } catch (err) {
      if (apiStatusOf(err) === 409) return 'exists';
      throw wrap(what, err);
    }
  }
  return {
    createPod: (pod) => create(`create pod ${pod.metadata?.namespace}/${pod.metadata?.name}`, () => core.createNamespacedPod({ namespace: pod.metadata!.namespace!, body: pod })),
    createService: (svc) => create(`create service ${svc.metadata?.namespace}/${svc.metadata?.name}`, () => core.createNamespacedService({ namespace: svc.metadata!.namespace!, body: svc })),
    async delete(kind, namespace, name, uid) {
      const body = uid !== undefined ? { preconditions: { uid } } : undefined;
      try {
        if (kind === 'Pod') await core.deleteNamespacedPod({ namespace, name, body });
        else await core.deleteNamespacedService({ namespace, name, body });
        return 'deleted';
      } catch (err) {
        // 409: the uid precondition failed, i.e. the name now holds another object: ours is gone.
        const status = apiStatusOf(err);
        if (status === 404 || status === 409) return 'gone';
        throw wrap(`delete ${kind.toLowerCase()} ${namespace}/${name}`, err);
      }
    },
    async modelInferOwner(namespace, name) {
      try {
        const mi = (await custom.getNamespacedCustomObject({ group: 'workload.matrixinfer.ai', version: 'v1alpha1', namespace, plural: 'modelinfers', name })) as KubernetesObject;
        const uid = mi.metadata?.uid;
        return uid ? { name, uid } : undefined;
      } catch (err) {
        if (apiStatusOf(err) === 404) return undefined;
        throw wrap(`get modelinfer ${namespace}/${name}`, err);
      }
    },
  };
}

/** An informer that keeps itself running; `list()` is its cache. */
export interface Watched<T extends KubernetesObject> {
  list(): T[];
  /** Resolves after the first successful list. */
  synced: Promise<void>;
  stop(): Promise<void>;
}

/** Handlers of a Watched informer. */
export interface WatchHandlers<T> {
  onChange(obj: T): void;
  onDelete(obj: T): void;
}

/**
 * Starts an informer on the managed Pods or Services (all namespaces, or one) and restarts it
 * with backoff (0.5 s doubling to 10 s) after a failed list or watch.
 */
export function watchManaged<T extends V1Pod | V1Service>(kc: KubeConfig, kind: 'Pod' | 'Service', namespace: string | undefined, handlers: WatchHandlers<T>, log: Logger): Watched<T> {
  const core = kc.makeApiClient(CoreV1Api);
  const plural = kind === 'Pod' ? 'pods' : 'services';
  const path = namespace === undefined ? `/api/v1/${plural}` : `/api/v1/namespaces/${namespace}/${plural}`;
  const labelSelector = MANAGED_SELECTOR;
  const listFn = (): Promise<{ items: T[]; metadata?: { resourceVersion?: string } }> => {
    const p =
      kind === 'Pod'
        ? namespace === undefined
          ? core.listPodForAllNamespaces({ labelSelector })
          : core.listNamespacedPod({ namespace, labelSelector })
        : namespace === undefined
          ? core.listServiceForAllNamespaces({ labelSelector })
          : core.listNamespacedService({ namespace, labelSelector });
    return p as unknown as Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  };
  const informer = makeInformer<T>(kc, path, listFn as never, labelSelector) as Informer<T> & ObjectCache<T>;
  let stopped = false;
  let backoffMs = 500;
  let timer: NodeJS.Timeout | undefined;
  let markSynced!: () => void;
  const synced = new Promise<void>((r) => (markSynced = r));
  informer.on('add', (o) => handlers.onChange(o));
  informer.on('update', (o) => handlers.onChange(o));
  informer.on('delete', (o) => handlers.onDelete(o));
  informer.on('connect', () => {
    backoffMs = 500;
  });
  const start = (): void => {
    informer.start().then(
      () => markSynced(),
      (err: unknown) => restart(err),
    );
  };
  function restart(err: unknown): void {
    if (stopped) return;
    log.warn(`${kind} watch failed; restarting`, { error: (err as Error)?.message ?? String(err), inMs: backoffMs });
    clearTimeout(timer);
    timer = setTimeout(start, backoffMs);
    backoffMs = Math.min(10_000, backoffMs * 2);
  }
  informer.on('error', (err) => restart(err));
  start();
  return {
    list: () => [...informer.list()],
    synced,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await informer.stop();
    },
  };
}
