// The ingest as it runs: one list-then-watch loop per MatrixInfer kind, each event planned by
// planIngest against what MI_DESIRED holds for its subject and written with the expected
// revision. A conflicting write (someone else wrote the subject meanwhile) fails the handler,
// so the loop relists and plans again from the newer state: nothing lost, nothing twice.
// Objects the mirror wrote (children derived by the Model controller) are not ingested: the
// log is their source, Kubernetes only shows them; only a ModelInfer's scale comes back.
import type { KubeConfig } from '@kubernetes/client-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { createResourceStore, type ResourceStore } from '@matrixinfer/events';
import { KINDS, type KindInfo } from '@matrixinfer/schemas';
import type { Logger } from 'winston';
import { customKindSource } from './kube-source.js';
import { startListWatch, type KindSource, type ListWatch, type ListWatchStats } from './listwatch.js';
import { isMirrored } from './mirrored.js';
import type { K8sObject } from './object.js';
import { planIngest, planMirroredScale, relistOrphans, type IngestEventType, type IngestReason, type IngestWrite } from './plan.js';

/** `source` of the MI_DESIRED envelopes the ingest writes. */
export const INGEST_SOURCE = 'k8s/ingest';

export interface IngestOptions {
  nc: NatsConnection;
  kubeConfig: KubeConfig;
  logger: Logger;
  /** Only this namespace (default every namespace). */
  namespace?: string;
  /** Kinds to ingest (default the six MatrixInfer kinds). */
  kinds?: readonly KindInfo[];
  /** Replaces the client-node source of a kind (tests). */
  sourceFor?: (info: KindInfo) => KindSource<K8sObject>;
  /** Replaces the MI_DESIRED resource log (tests). */
  store?: ResourceStore;
  /** Told about every object handled, after its log writes were made (the cleanup finalizer). */
  observe?: (info: KindInfo, type: IngestEventType, obj: K8sObject) => Promise<void>;
  /** Retry delays of the loops (defaults 500 and 10 000 ms). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/** Counters of one kind: the loop's and how many events were planned with each reason. */
export interface IngestKindStats extends ListWatchStats {
  reasons: Partial<Record<IngestReason | 'mirrored', number>>;
}

/** A running ingest. */
export interface Ingest {
  /** Resolves once every kind was listed and its list written. */
  synced: Promise<void>;
  stats(): Record<string, IngestKindStats>;
  stop(): Promise<void>;
}

async function write(store: ResourceStore, w: IngestWrite): Promise<void> {
  if (w.op === 'apply') await store.apply(w.resource, { expectedRevision: w.expectedRevision });
  else await store.delete(w.kind, w.namespace, w.name, { expectedRevision: w.expectedRevision });
}

/** Starts ingesting; every loop runs until stop(). */
export async function startIngest(opts: IngestOptions): Promise<Ingest> {
  const log = opts.logger.child({ component: 'k8s-ingest' });
  const store = opts.store ?? createResourceStore({ js: jetstream(opts.nc), jsm: await jetstreamManager(opts.nc), source: INGEST_SOURCE });
  const kinds = opts.kinds ?? KINDS;
  const reasons = new Map<string, Partial<Record<IngestReason | 'mirrored', number>>>();
  const loops = new Map<string, ListWatch>();

  function count(kind: string, reason: IngestReason | 'mirrored'): void {
    const r = reasons.get(kind) ?? {};
    r[reason] = (r[reason] ?? 0) + 1;
    reasons.set(kind, r);
  }

  async function handle(info: KindInfo, type: IngestEventType, obj: K8sObject): Promise<void> {
    await plan(info, type, obj);
    await opts.observe?.(info, type, obj);
  }

  async function plan(info: KindInfo, type: IngestEventType, obj: K8sObject): Promise<void> {
    const mirrored = isMirrored(obj);
    // A mirrored child's only field Kubernetes may change is a ModelInfer's scale.
    if (mirrored && (type === 'delete' || info.kind !== 'ModelInfer')) return count(info.kind, 'mirrored');
    const namespace = obj.metadata?.namespace ?? 'default';
    const name = obj.metadata?.name ?? '';
    const rec = await store.read(info.kind, namespace, name);
    const cur = { seq: rec.seq, live: rec.live };
    const p = mirrored ? planMirroredScale(obj, cur) : planIngest(type, obj, info, cur);
    if (mirrored && p.writes.length === 0) return count(info.kind, 'mirrored');
    for (const w of p.writes) await write(store, w);
    count(info.kind, p.reason);
    if (p.writes.length > 0) log.info('ingested', { kind: info.kind, namespace, name, reason: p.reason, resourceVersion: obj.metadata?.resourceVersion });
    else log.debug('skipped', { kind: info.kind, namespace, name, reason: p.reason, resourceVersion: obj.metadata?.resourceVersion });
  }

  for (const info of kinds) {
    const source = opts.sourceFor?.(info) ?? customKindSource(opts.kubeConfig, info, opts.namespace);
    loops.set(
      info.kind,
      startListWatch<K8sObject>({
        name: `ingest ${info.plural}`,
        source,
        logger: log,
        initialBackoffMs: opts.initialBackoffMs,
        maxBackoffMs: opts.maxBackoffMs,
        handlers: {
          // The whole list, then what disappeared while nobody watched (deleted in Kubernetes).
          async onList(items) {
            for (const o of items) await handle(info, 'upsert', o);
            const stored = await store.list(info.kind, opts.namespace);
            for (const gone of relistOrphans(items, stored)) await handle(info, 'delete', gone);
          },
          onEvent: (type, obj) => handle(info, type, obj),
        },
      }),
    );
  }

  return {
    synced: Promise.all([...loops.values()].map((l) => l.synced)).then(() => undefined),
    stats() {
      const out: Record<string, IngestKindStats> = {};
      for (const [kind, l] of loops) out[kind] = { ...l.stats(), reasons: { ...(reasons.get(kind) ?? {}) } };
      return out;
    },
    async stop() {
      await Promise.all([...loops.values()].map((l) => l.stop()));
    },
  };
}
