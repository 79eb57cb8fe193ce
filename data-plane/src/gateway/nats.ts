// Thin NATS adapter: the only file of the gateway that imports the client libraries, so the
// events package's helpers can replace it without touching the rest.
import type { NatsConnection, QueuedIterator, Subscription } from '@nats-io/transport-node';
import { connectNats } from '@matrixinfer/events';
import type { Logger } from 'winston';
import { Kvm, KvWatchInclude, type KV, type KvWatchEntry } from '@nats-io/kv';

export type { NatsConnection, KV, KvWatchEntry, QueuedIterator, Subscription };

/** Connects for the life of a gateway (reconnects forever, see events' connectNats). */
export function connectGatewayNats(url: string | undefined, name: string, logger: Logger): Promise<NatsConnection> {
  return connectNats({ url, name, logger });
}

/** Binds to an existing bucket and returns it with its current last revision and value count. */
export async function openBucket(nc: NatsConnection, bucket: string): Promise<{ kv: KV; lastRevision: number; values: number }> {
  const kv = await new Kvm(nc).open(bucket);
  // status() asks the server, so a missing bucket fails here rather than in the watch.
  const st = await kv.status();
  return { kv, lastRevision: st.streamInfo.state.last_seq, values: st.values };
}

/** Watches every key: last values first (or from `fromRevision` on), then live updates. */
export function watchAll(kv: KV, fromRevision: number): Promise<QueuedIterator<KvWatchEntry>> {
  return fromRevision > 0
    ? kv.watch({ key: '>', include: KvWatchInclude.AllHistory, resumeFromRevision: fromRevision })
    : kv.watch({ key: '>', include: KvWatchInclude.LastValue });
}
