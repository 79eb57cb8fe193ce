// The Kubernetes edge of the ingest: list and watch one MatrixInfer kind with
// @kubernetes/client-node (CustomObjectsApi for the list, Watch for the stream, with
// allowWatchBookmarks), in every namespace or one.
import { CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import type { KindInfo } from '@matrixinfer/schemas';
import type { KindSource, ListResult } from './listwatch.js';
import type { K8sObject } from './object.js';

/** REST path of a kind's collection: `/apis/<group>/<version>[/namespaces/<ns>]/<plural>`. */
export function collectionPath(info: Pick<KindInfo, 'group' | 'version' | 'plural'>, namespace?: string): string {
  const ns = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `/apis/${info.group}/${info.version}${ns}/${info.plural}`;
}

/** A KindSource for one kind over a kubeconfig. */
export function customKindSource(kc: KubeConfig, info: KindInfo, namespace?: string): KindSource<K8sObject> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const watcher = new Watch(kc);
  const path = collectionPath(info, namespace);
  return {
    async list(): Promise<ListResult<K8sObject>> {
      const base = { group: info.group, version: info.version, plural: info.plural };
      const res = (namespace === undefined ? await api.listClusterCustomObject(base) : await api.listNamespacedCustomObject({ ...base, namespace })) as {
        items?: K8sObject[];
        metadata?: { resourceVersion?: string };
      };
      return { items: res.items ?? [], resourceVersion: res.metadata?.resourceVersion ?? '' };
    },
    async watch(resourceVersion, onEvent, onDone) {
      const controller = await watcher.watch(path, { resourceVersion, allowWatchBookmarks: true }, (type: string, obj: unknown) => onEvent(type as never, obj), onDone);
      return { abort: () => controller.abort() };
    },
  };
}
