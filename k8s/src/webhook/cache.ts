// The webhook's view of the cluster for cross-resource checks: a list-then-watch loop per kind
// it reads (the ingest's loop, so 410 Gone and reconnects are handled the same way), kept in
// memory by kind/namespace/name.
import type { KubeConfig } from '@kubernetes/client-node';
import { KINDS } from '@matrixinfer/schemas';
import type { Logger } from 'winston';
import { customKindSource } from '../ingest/kube-source.js';
import { startListWatch, type KindSource, type ListWatch } from '../ingest/listwatch.js';
import type { K8sObject } from '../ingest/object.js';
import type { ObjectCache } from './cross.js';

/** Kinds the checks read. */
export const CACHED_KINDS = ['AutoscalingPolicy', 'AutoscalingPolicyBinding', 'ModelInfer', 'ModelServer'] as const;

/** A running cache. */
export interface RunningCache extends ObjectCache {
  synced: Promise<void>;
  stop(): Promise<void>;
}

/** Starts caching; `sourceFor` replaces the API client (tests). */
export function startObjectCache(kc: KubeConfig, logger: Logger, sourceFor?: (kind: string) => KindSource<K8sObject>): RunningCache {
  const byKind = new Map<string, Map<string, K8sObject>>();
  const loops: ListWatch[] = [];
  const key = (ns: string, name: string) => `${ns}/${name}`;
  for (const kind of CACHED_KINDS) {
    const info = KINDS.find((k) => k.kind === kind)!;
    const objects = new Map<string, K8sObject>();
    byKind.set(kind, objects);
    loops.push(
      startListWatch<K8sObject>({
        name: `webhook cache ${info.plural}`,
        source: sourceFor?.(kind) ?? customKindSource(kc, info),
        logger,
        handlers: {
          async onList(items) {
            objects.clear();
            for (const o of items) objects.set(key(o.metadata?.namespace ?? 'default', o.metadata?.name ?? ''), o);
          },
          async onEvent(type, o) {
            const k = key(o.metadata?.namespace ?? 'default', o.metadata?.name ?? '');
            if (type === 'delete') objects.delete(k);
            else objects.set(k, o);
          },
        },
      }),
    );
  }
  return {
    synced: Promise.all(loops.map((l) => l.synced)).then(() => undefined),
    get: (kind, ns, name) => byKind.get(kind)?.get(key(ns, name)),
    list: (kind, ns) => [...(byKind.get(kind)?.values() ?? [])].filter((o) => (o.metadata?.namespace ?? 'default') === ns),
    async stop() {
      await Promise.all(loops.map((l) => l.stop()));
    },
  };
}
