// Where `mi apply` keeps Secrets and ConfigMaps on one machine: the dedicated KV bucket
// `mi-secrets` (history 1: an old value is gone once replaced), one key per object. Their
// values go nowhere else: no event in the resource log, no log line; both carry the name and
// the content hash only.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { ensureBucket, openKv } from '@matrixinfer/events';
import type { Logger } from 'winston';
import type { CoreKind, CoreObject } from './core-objects.js';

/** The KV bucket of Secret and ConfigMap contents. */
export const CORE_OBJECTS_BUCKET = 'mi-secrets';

/** Reads stored Secrets and ConfigMaps. */
export interface CoreObjectReader {
  /** The object, or null when absent. */
  get(kind: CoreKind, namespace: string, name: string): Promise<CoreObject | null>;
}

/** Reads and writes stored Secrets and ConfigMaps. */
export interface CoreObjectStore extends CoreObjectReader {
  /** Stores the object; `unchanged` (nothing written) when the stored hash is the same. */
  put(o: CoreObject): Promise<{ result: 'created' | 'configured' | 'unchanged'; sha256: string }>;
  /** Removes the object; false when there was none. */
  delete(kind: CoreKind, namespace: string, name: string): Promise<boolean>;
}

/** KV key of an object: `<kind>.<namespace>.<name>` (namespaces have no dots, so it parses back). */
export function coreObjectKey(kind: CoreKind, namespace: string, name: string): string {
  return `${kind}.${namespace}.${name}`;
}

/** The store over an open `mi-secrets` bucket; `logger` gets name and hash of each write. */
export function createCoreObjectStore(kv: KV, logger?: Logger): CoreObjectStore {
  const get = async (kind: CoreKind, namespace: string, name: string): Promise<CoreObject | null> => {
    const e = await kv.get(coreObjectKey(kind, namespace, name));
    if (e === null || e.operation !== 'PUT' || e.value.length === 0) return null;
    return e.json<CoreObject>();
  };
  return {
    get,
    async put(o) {
      const before = await get(o.kind, o.namespace, o.name);
      if (before?.sha256 === o.sha256) return { result: 'unchanged', sha256: o.sha256 };
      await kv.put(coreObjectKey(o.kind, o.namespace, o.name), JSON.stringify(o));
      const result = before ? 'configured' : 'created';
      logger?.info('core object stored', { kind: o.kind, namespace: o.namespace, name: o.name, sha256: o.sha256, result });
      return { result, sha256: o.sha256 };
    },
    async delete(kind, namespace, name) {
      if ((await get(kind, namespace, name)) === null) return false;
      // purge, not delete: no earlier value stays behind the delete marker.
      await kv.purge(coreObjectKey(kind, namespace, name));
      logger?.info('core object deleted', { kind, namespace, name });
      return true;
    },
  };
}

/** Opens (with `ensure`: creates first) the `mi-secrets` bucket on a connection and returns the store. */
export async function openCoreObjectStore(nc: NatsConnection, opts: { ensure?: boolean; logger?: Logger } = {}): Promise<CoreObjectStore> {
  const js = jetstream(nc);
  if (opts.ensure) await ensureBucket(js, await jetstreamManager(nc), { name: CORE_OBJECTS_BUCKET, history: 1, storage: 'file' });
  return createCoreObjectStore(await openKv(js, CORE_OBJECTS_BUCKET), opts.logger);
}
