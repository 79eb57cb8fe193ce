// Wires the ResourceService to NATS: the resource log on MI_DESIRED and statuses from the
// `mi-status` bucket. Shared by the API server and the CLI so both read and write the same way.
import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { BUCKETS, ERROR_CODES, createResourceStore, ensureStreams, hasCode, openKv } from '@matrixinfer/events';
import { kubernetesModeGuard } from './mode.js';
import { createResourceService, type ResourceService, type StatusReader } from './service.js';

// No control plane has run yet, so the bucket does not exist: no status, not an error.
function isMissingBucket(err: unknown): boolean {
  return (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) || hasCode(err, ERROR_CODES.notFound);
}

/** Reads JSON values of a KV bucket by key; null when the key or the bucket is missing. */
export function kvJsonReader(open: () => Promise<KV>): StatusReader {
  let kv: Promise<KV> | undefined;
  return async (key) => {
    let e: KvEntry | null;
    try {
      kv ??= open();
      e = await (await kv).get(key);
    } catch (err) {
      kv = undefined;
      if (isMissingBucket(err)) return null;
      throw err;
    }
    if (e === null || e.operation !== 'PUT' || e.value.length === 0) return null;
    try {
      return e.json<unknown>();
    } catch {
      return null;
    }
  };
}

/**
 * The ResourceService over a NATS connection; `source` names the writer in the envelopes.
 * `ensure` creates the streams first (idempotent), so a first `mi apply` works before any
 * control plane has run.
 */
export async function createNatsResourceService(nc: NatsConnection, source: string, opts: { ensure?: boolean } = {}): Promise<ResourceService> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  if (opts.ensure) await ensureStreams(jsm);
  const store = createResourceStore({ js, jsm, source });
  return createResourceService({
    store,
    readStatus: kvJsonReader(() => openKv(js, BUCKETS.status)),
    ready: () => !nc.isClosed(),
    guardWrite: kubernetesModeGuard(nc),
  });
}
