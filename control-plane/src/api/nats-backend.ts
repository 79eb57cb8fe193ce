// Wires the ResourceService to NATS: the resource log on MI_DESIRED and statuses from the
// `mi-status` bucket. Shared by the API server and the CLI so both read and write the same way.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { BUCKETS, createResourceStore, ensureStreams, openKv } from '@matrixinfer/events';
import { kvJsonReader } from './kv-json.js';
import { kubernetesModeGuard } from './mode.js';
import { createResourceService, type ResourceService } from './service.js';

export { kvJsonReader } from './kv-json.js';

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
