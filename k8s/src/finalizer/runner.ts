// The cleanup finalizer as it runs, fed by the ingest (every object it handled, after the log
// writes for it were made): adds the finalizer to live Models and ModelInfers, and for one
// being deleted waits until what was derived from it is gone (the log version deleted, and no
// mirrored child owned by the Model, or no Pod or Service of the ModelInfer, left in
// Kubernetes), then removes the finalizer so Kubernetes can finish the delete.
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { INSTANCE_LABELS, type ResourceStore } from '@matrixinfer/events';
import { KINDS, type KindInfo } from '@matrixinfer/schemas';
import type { Logger } from 'winston';
import { apiStatusOf } from '../actuator/errors.js';
import { objectKey, type K8sObject } from '../ingest/object.js';
import { finalizerAction, ownedBy, withFinalizer } from './plan.js';

export interface FinalizerOptions {
  kubeConfig: KubeConfig;
  store: ResourceStore;
  logger: Logger;
  /** How often objects being deleted are checked (default 1000 ms). */
  checkMs?: number;
}

/** A running finalizer. */
export interface Finalizer {
  /** Called by the ingest for every object it handled (after its log writes). */
  observe(info: KindInfo, type: 'upsert' | 'delete', obj: K8sObject): Promise<void>;
  /** Objects being deleted whose cleanup is not finished (`Kind ns/name`). */
  waiting(): string[];
  stop(): Promise<void>;
}

type Waiting = { info: KindInfo; obj: K8sObject };

/** Starts the finalizer. */
export function startFinalizer(opts: FinalizerOptions): Finalizer {
  const log = opts.logger.child({ component: 'k8s-finalizer' });
  const custom = opts.kubeConfig.makeApiClient(CustomObjectsApi);
  const core = opts.kubeConfig.makeApiClient(CoreV1Api);
  const waiting = new Map<string, Waiting>();
  const childKinds = KINDS.filter((k) => k.kind !== 'Model');
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  // Optimistic: the resourceVersion makes a concurrent change a 409, retried on the next event or check.
  async function setFinalizer(info: KindInfo, obj: K8sObject, present: boolean): Promise<boolean> {
    const md = obj.metadata ?? {};
    const body = { metadata: { finalizers: withFinalizer(md.finalizers, present), resourceVersion: md.resourceVersion } };
    try {
      await custom.patchNamespacedCustomObject({ group: info.group, version: info.version, plural: info.plural, namespace: md.namespace ?? 'default', name: md.name ?? '', body }, mergePatch);
      return true;
    } catch (err) {
      const status = apiStatusOf(err);
      if (status === 404) return true;
      if (status !== 409) log.warn('finalizer patch failed', { kind: info.kind, object: objectKey(obj), error: (err as Error).message, status });
      return false;
    }
  }

  async function leftovers(info: KindInfo, obj: K8sObject): Promise<number> {
    const md = obj.metadata ?? {};
    const namespace = md.namespace ?? 'default';
    if ((await opts.store.get(info.kind, namespace, md.name ?? '')) !== null) return 1;
    if (info.kind === 'Model') {
      let n = 0;
      for (const k of childKinds) {
        const list = (await custom.listNamespacedCustomObject({ group: k.group, version: k.version, plural: k.plural, namespace })) as { items?: K8sObject[] };
        n += (list.items ?? []).filter((o) => md.uid !== undefined && ownedBy(o, md.uid)).length;
      }
      return n;
    }
    const labelSelector = `${INSTANCE_LABELS.modelInfer}=${md.name ?? ''}`;
    const pods = await core.listNamespacedPod({ namespace, labelSelector });
    const services = await core.listNamespacedService({ namespace, labelSelector });
    return pods.items.length + services.items.length;
  }

  async function check(key: string, w: Waiting): Promise<void> {
    try {
      const left = await leftovers(w.info, w.obj);
      if (left > 0) return;
      // Re-read: the resourceVersion of the event may be old by now.
      const md = w.obj.metadata ?? {};
      const fresh = (await custom.getNamespacedCustomObject({ group: w.info.group, version: w.info.version, plural: w.info.plural, namespace: md.namespace ?? 'default', name: md.name ?? '' })) as K8sObject;
      if (await setFinalizer(w.info, fresh, false)) {
        waiting.delete(key);
        log.info('cleanup done; finalizer removed', { kind: w.info.kind, object: key });
      }
    } catch (err) {
      if (apiStatusOf(err) === 404) return void waiting.delete(key);
      log.warn('cleanup check failed; retrying', { kind: w.info.kind, object: key, error: (err as Error).message });
    }
  }

  let checking = false;
  const timer = setInterval(() => {
    if (checking || waiting.size === 0) return;
    checking = true;
    void (async () => {
      for (const [key, w] of [...waiting]) await check(key, w);
    })().finally(() => (checking = false));
  }, opts.checkMs ?? 1000);

  return {
    async observe(info, type, obj) {
      const key = `${info.kind} ${objectKey(obj)}`;
      if (type === 'delete') return void waiting.delete(key);
      const action = finalizerAction(info.kind, obj);
      if (action === 'add') await setFinalizer(info, obj, true);
      else if (action === 'await-cleanup') waiting.set(key, { info, obj });
    },
    waiting: () => [...waiting.keys()].sort(),
    async stop() {
      clearInterval(timer);
      while (checking) await new Promise((r) => setTimeout(r, 10));
    },
  };
}
