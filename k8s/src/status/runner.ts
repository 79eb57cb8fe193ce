// The status write-back as it runs: watches `mi-status` (last value of every key, then every
// change) and merge-patches the status subresource of the Kubernetes object the key names,
// only when it would change what Kubernetes shows. Requests that fail (API down, object not
// there yet) are retried with the latest status of their key.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { KvWatchEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { BUCKETS, createResourceStore, openKv, type ResourceStore } from '@matrixinfer/events';
import { KINDS, type KindInfo } from '@matrixinfer/schemas';
import type { Logger } from 'winston';
import { apiStatusOf } from '../actuator/errors.js';
import { buildCrd } from '../crd-build.js';
import type { K8sObject } from '../ingest/object.js';
import { statusPatch } from './patch.js';

export interface StatusWriterOptions {
  nc: NatsConnection;
  kubeConfig: KubeConfig;
  logger: Logger;
  /** Only this namespace (default every namespace). */
  namespace?: string;
  /** Retry failed patches this often (default 2000 ms). */
  retryMs?: number;
  now?: () => number;
  store?: ResourceStore;
}

/** A running status writer. */
export interface StatusWriter {
  /** Patches sent and skipped (nothing to change), for logs and tests. */
  stats(): { patched: number; unchanged: number; failed: number };
  pending(): string[];
  stop(): Promise<void>;
}

/** Top-level status fields each kind's CRD declares. */
export function statusFields(info: KindInfo): Set<string> {
  const crd = buildCrd(info) as { spec: { versions: { schema: { openAPIV3Schema: { properties?: { status?: { properties?: Record<string, unknown> } } } } }[] } };
  return new Set(Object.keys(crd.spec.versions[0].schema.openAPIV3Schema.properties?.status?.properties ?? {}));
}

/** Starts the write-back. */
export async function startStatusWriter(opts: StatusWriterOptions): Promise<StatusWriter> {
  const log = opts.logger.child({ component: 'k8s-status' });
  const now = opts.now ?? Date.now;
  const store = opts.store ?? createResourceStore({ js: jetstream(opts.nc), jsm: await jetstreamManager(opts.nc) });
  const api = opts.kubeConfig.makeApiClient(CustomObjectsApi);
  const byKey = new Map(KINDS.map((k) => [k.kind.toLowerCase(), { info: k, fields: statusFields(k) }]));
  const pending = new Map<string, Record<string, unknown>>();
  const stats = { patched: 0, unchanged: 0, failed: 0 };
  let chain: Promise<void> = Promise.resolve();
  const serial = (fn: () => Promise<void>): Promise<void> => (chain = chain.then(fn, fn));

  async function sync(key: string, desired: Record<string, unknown>): Promise<void> {
    const [kindKey, namespace, name] = key.split('.');
    const k = byKey.get(kindKey);
    if (k === undefined || namespace === undefined || name === undefined) return;
    if (opts.namespace !== undefined && namespace !== opts.namespace) return;
    const ref = { group: k.info.group, version: k.info.version, plural: k.info.plural, namespace, name };
    try {
      let current: K8sObject;
      try {
        current = (await api.getNamespacedCustomObjectStatus(ref)) as K8sObject;
      } catch (err) {
        // Not in Kubernetes (embedded-only resource, or deleted): nothing to show it on.
        if (apiStatusOf(err) === 404) return void pending.delete(key);
        throw err;
      }
      const patch = statusPatch({ current, desired, live: await store.get(k.info.kind, namespace, name), fields: k.fields, nowIso: new Date(now()).toISOString() });
      pending.delete(key);
      if (patch === null) return void stats.unchanged++;
      await api.patchNamespacedCustomObjectStatus({ ...ref, body: patch }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      stats.patched++;
      log.debug('status written', { kind: k.info.kind, namespace, name });
    } catch (err) {
      stats.failed++;
      pending.set(key, desired);
      log.warn('status write failed; retrying', { key, error: (err as Error).message, status: apiStatusOf(err) });
    }
  }

  const kv = await openKv(jetstream(opts.nc), BUCKETS.status);
  const watch = await kv.watch({ key: '>' });
  const loop = (async () => {
    for await (const e of watch as AsyncIterable<KvWatchEntry>) {
      if (e.operation !== 'PUT' || e.value.length === 0) continue;
      let desired: Record<string, unknown>;
      try {
        desired = e.json<Record<string, unknown>>();
      } catch {
        continue;
      }
      await serial(() => sync(e.key, desired));
    }
  })();

  const timer = setInterval(() => {
    if (pending.size === 0) return;
    void serial(async () => {
      for (const [key, d] of [...pending]) if (pending.get(key) === d) await sync(key, d);
    });
  }, opts.retryMs ?? 2000);

  return {
    stats: () => ({ ...stats }),
    pending: () => [...pending.keys()].sort(),
    async stop() {
      clearInterval(timer);
      watch.stop();
      await loop.catch(() => undefined);
      await chain;
    },
  };
}
