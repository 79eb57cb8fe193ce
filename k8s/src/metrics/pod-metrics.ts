// Replica CPU/memory in Kubernetes mode: metrics.k8s.io/v1beta1 PodMetrics (metrics-server) as
// the collector's ResourceSource. The actuator names each Pod after its instance, so a
// PodMetrics `<namespace>/<name>` is the collector's endpoint key. Pure reduction
// (podUsageOf) and a thin lister: one list call (label selector: our Pods) per refresh period,
// not per scrape cycle, since metrics-server itself only refreshes every 15 s or so.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { ResourceSource, ResourceTarget, ResourceUsage } from '@matrixinfer/control-plane';
import { INSTANCE_LABELS } from '@matrixinfer/events';
import { isQuantity, parseQuantity } from '@matrixinfer/schemas';
import { apiStatusOf, InvalidK8sActuatorOptionError, K8sApiRequestError } from '../actuator/errors.js';

/** Usage by `<namespace>/<pod>` from a PodMetricsList: CPU cores and memory (working set) bytes summed over containers; items without a readable usage are left out. */
export function podUsageOf(list: unknown): Map<string, ResourceUsage> {
  const out = new Map<string, ResourceUsage>();
  const items = (list as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return out;
  for (const item of items as { metadata?: { name?: unknown; namespace?: unknown }; containers?: unknown }[]) {
    const name = item?.metadata?.name;
    const namespace = item?.metadata?.namespace;
    if (typeof name !== 'string' || typeof namespace !== 'string' || !Array.isArray(item.containers)) continue;
    let cpu = 0;
    let memory = 0;
    let ok = item.containers.length > 0;
    for (const c of item.containers as { usage?: { cpu?: unknown; memory?: unknown } }[]) {
      const u = c?.usage;
      if (!isQuantity(u?.cpu) || !isQuantity(u?.memory)) ok = false;
      else {
        cpu += parseQuantity(u.cpu);
        memory += parseQuantity(u.memory);
      }
    }
    if (ok) out.set(`${namespace}/${name}`, { cpuCores: cpu, memoryBytes: memory });
  }
  return out;
}

export interface PodMetricsSourceOptions {
  kubeConfig: KubeConfig;
  /** Only this namespace (default every namespace). */
  namespace?: string;
  /** How long one list answers for (default 15 s, metrics-server's resolution). */
  refreshMs?: number;
}

/** A ResourceSource over metrics.k8s.io PodMetrics of the actuator's Pods; a failed list throws K8sApiRequestError (and is retried at the next read). */
export function podMetricsSource(o: PodMetricsSourceOptions): ResourceSource {
  const refreshMs = o.refreshMs ?? 15_000;
  if (!(refreshMs > 0)) throw new InvalidK8sActuatorOptionError(`refreshMs must be > 0, got ${refreshMs}`);
  const api = o.kubeConfig.makeApiClient(CustomObjectsApi);
  const base = { group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods', labelSelector: INSTANCE_LABELS.modelInfer };
  let cache: { atMs: number; usage: Map<string, ResourceUsage> } | undefined;
  async function list(): Promise<Map<string, ResourceUsage>> {
    try {
      const body = o.namespace === undefined ? await api.listClusterCustomObject(base) : await api.listNamespacedCustomObject({ ...base, namespace: o.namespace });
      return podUsageOf(body);
    } catch (err) {
      const status = apiStatusOf(err);
      // 404/503: no metrics-server (the APIService is missing or unavailable).
      throw new K8sApiRequestError(`list metrics.k8s.io/v1beta1 pods: ${status !== undefined ? `HTTP ${status}` : (err as Error).message}`, { cause: err });
    }
  }
  return {
    name: 'metrics.k8s.io',
    async read(targets: readonly ResourceTarget[], nowMs: number): Promise<Map<string, ResourceUsage>> {
      if (targets.length === 0) return new Map();
      if (cache === undefined || nowMs - cache.atMs >= refreshMs) {
        // A failed list is retried after the period too, not at every scrape cycle.
        cache = { atMs: nowMs, usage: new Map() };
        cache.usage = await list();
      }
      const out = new Map<string, ResourceUsage>();
      for (const t of targets) {
        const u = cache.usage.get(t.key);
        if (u !== undefined) out.set(t.key, u);
      }
      return out;
    },
  };
}
