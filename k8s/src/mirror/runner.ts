// The mirror as it runs: tails MI_DESIRED from the last version of every subject, and for each
// child the Model controller derived there (owned, not ingested) server-side applies it into
// Kubernetes with its own field manager; a tombstone deletes the mirrored object (only one that
// carries the mirror mark, never a user's object of the same name). Failed requests are retried
// with the latest version of their subject, so the cluster converges once the API is back.
import { randomUUID } from 'node:crypto';
import { KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { STREAMS, createResourceStore, resourceFromMessage, startResumableTail, type ResourceStore, type StoredResource } from '@matrixinfer/events';
import { KINDS } from '@matrixinfer/schemas';
import type { Logger } from 'winston';
import { apiStatusOf } from '../actuator/errors.js';
import { isMirrored } from '../ingest/mirrored.js';
import type { K8sObject } from '../ingest/object.js';
import { MIRROR_FIELD_MANAGER, mirrorBody, ownerUidFromLog } from './body.js';

export interface MirrorOptions {
  nc: NatsConnection;
  kubeConfig: KubeConfig;
  logger: Logger;
  /** Only this namespace (default every namespace). */
  namespace?: string;
  /** Retry failed applies and deletes this often (default 2000 ms). */
  retryMs?: number;
  /** Replaces the MI_DESIRED resource log (tests). */
  store?: ResourceStore;
}

/** A running mirror. */
export interface Mirror {
  /** Resolves once the versions present at start were mirrored (or queued for retry). */
  caughtUp: Promise<void>;
  /** Subjects whose last request failed and waits for a retry. */
  pending(): string[];
  stop(): Promise<void>;
}

type Pending = { live: StoredResource | null; last: StoredResource };

const MIRRORED_KINDS = new Set<string>(KINDS.map((k) => k.kind));

/** Starts the mirror. */
export async function startMirror(opts: MirrorOptions): Promise<Mirror> {
  const log = opts.logger.child({ component: 'k8s-mirror' });
  const store = opts.store ?? createResourceStore({ js: jetstream(opts.nc), jsm: await jetstreamManager(opts.nc) });
  const api = KubernetesObjectApi.makeApiClient(opts.kubeConfig);
  const ownerUid = ownerUidFromLog((k, ns, n) => store.get(k, ns, n));
  const pending = new Map<string, Pending>();
  // Tail and retries run one request at a time, so an old retry never lands after a newer version.
  let chain: Promise<void> = Promise.resolve();
  const serial = (fn: () => Promise<void>): Promise<void> => (chain = chain.then(fn, fn));

  async function apply(subject: string, r: StoredResource): Promise<void> {
    const out = await mirrorBody(r, subject, ownerUid);
    if ('skip' in out) return;
    // force: the mirror owns every field it sets (the log is their source).
    await api.patch(out.body as KubernetesObject, undefined, undefined, MIRROR_FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    log.debug('mirrored', { kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name });
  }

  async function remove(last: StoredResource): Promise<void> {
    const ref = { apiVersion: last.apiVersion, kind: last.kind, metadata: { name: last.metadata.name, namespace: last.metadata.namespace ?? 'default' } };
    let current: K8sObject;
    try {
      current = (await api.read(ref)) as K8sObject;
    } catch (err) {
      if (apiStatusOf(err) === 404) return;
      throw err;
    }
    if (!isMirrored(current)) return;
    try {
      await api.delete(ref, undefined, undefined, undefined, undefined, 'Background');
      log.info('mirror deleted', { kind: last.kind, namespace: ref.metadata.namespace, name: ref.metadata.name });
    } catch (err) {
      if (apiStatusOf(err) !== 404) throw err;
    }
  }

  async function sync(subject: string, p: Pending): Promise<void> {
    try {
      if (p.live !== null) await apply(subject, p.live);
      else await remove(p.last);
      pending.delete(subject);
    } catch (err) {
      pending.set(subject, p);
      log.warn('mirror request failed; retrying', { subject, error: (err as Error).message, status: apiStatusOf(err) });
    }
  }

  const tail = await startResumableTail({
    js: jetstream(opts.nc),
    stream: STREAMS.desired,
    filter: 'mi.desired.>',
    from: 'last-per-subject',
    // Unique per start: a consumer a stopped mirror left on the server must not be picked up again.
    namePrefix: `k8s_mirror_${randomUUID().slice(0, 8)}`,
    onMessage: async (m) => {
      const { envelope, live } = resourceFromMessage(m.seq, m.data);
      const last = envelope.data;
      if (!MIRRORED_KINDS.has(last.kind)) return;
      if (opts.namespace !== undefined && (last.metadata.namespace ?? 'default') !== opts.namespace) return;
      await serial(() => sync(m.subject, { live, last }));
    },
    onError: (m, err) => log.warn('skipped a MI_DESIRED message that could not be decoded', { subject: m.subject, seq: m.seq, error: (err as Error).message }),
  });

  const retryMs = opts.retryMs ?? 2000;
  let retrying = false;
  const timer = setInterval(() => {
    if (retrying || pending.size === 0) return;
    retrying = true;
    void serial(async () => {
      for (const [subject, p] of [...pending]) if (pending.get(subject) === p) await sync(subject, p);
    }).finally(() => (retrying = false));
  }, retryMs);

  return {
    caughtUp: tail.caughtUp,
    pending: () => [...pending.keys()].sort(),
    async stop() {
      clearInterval(timer);
      await tail.stop();
      await chain;
    },
  };
}
