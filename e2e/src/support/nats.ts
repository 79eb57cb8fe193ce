// Reading the system's state straight from NATS: the `mi-routes` entries gateways follow and the
// event streams (decisions, observations, desired), so tests assert on what the system recorded.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  BUCKETS,
  INSTANCE_OBSERVATION,
  INSTANCES_DECISION,
  STREAMS,
  decodeRouteEntry,
  openKv,
  replay,
  type InstanceObservation,
  type InstancesDecision,
  type ReplayedEvent,
  type RouteEntry,
  type StreamKey,
} from '@matrixinfer/events';

/** The endpoints of every server of a route entry, sorted by id. */
export function entryEndpoints(entry: RouteEntry | null): { id: string; address: string }[] {
  if (!entry) return [];
  return Object.values(entry.servers)
    .flatMap((s) => s.endpoints.map((e) => ({ id: e.id, address: e.address })))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** Opens `mi-routes` (waits for the control plane to have created it). */
export async function routesKv(nc: NatsConnection): Promise<KV> {
  return openKv(jetstream(nc), BUCKETS.routes);
}

/** The current entry of `key`, or null when absent or deleted. */
export async function readRoute(kv: KV, key: string): Promise<RouteEntry | null> {
  const e = await kv.get(key);
  if (e === null || e.operation !== 'PUT') return null;
  return decodeRouteEntry(e.value);
}

/** Every revision of `key` kept in the bucket's history (oldest first); null for a delete. */
export async function routeHistory(kv: KV, key: string): Promise<{ revision: number; entry: RouteEntry | null }[]> {
  const it = await kv.history({ key });
  const out: { revision: number; entry: RouteEntry | null }[] = [];
  for await (const e of it) out.push({ revision: e.revision, entry: e.operation === 'PUT' ? decodeRouteEntry(e.value) : null });
  return out;
}

/** Records every update of one `mi-routes` key from now on (the watch replays the current value first). */
export async function watchRoute(kv: KV, key: string): Promise<{ updates: { revision: number; atMs: number; entry: RouteEntry | null }[]; stop(): void }> {
  const updates: { revision: number; atMs: number; entry: RouteEntry | null }[] = [];
  const it = await kv.watch({ key });
  void (async () => {
    for await (const e of it) updates.push({ revision: e.revision, atMs: Date.now(), entry: e.operation === 'PUT' ? decodeRouteEntry(e.value) : null });
  })();
  return { updates, stop: () => it.stop() };
}

/** Every message of a stream (optionally filtered, optionally from a sequence), in order. */
export async function readStream<T = unknown>(nc: NatsConnection, stream: StreamKey, filter?: string, fromSeq?: number): Promise<ReplayedEvent<T>[]> {
  const { state } = await replay<ReplayedEvent<T>[], T>({
    js: jetstream(nc),
    stream: STREAMS[stream],
    filter,
    from: fromSeq !== undefined ? { seq: fromSeq } : undefined,
    initial: [],
    fold: (acc, ev) => {
      acc.push(ev);
      return acc;
    },
  });
  return state;
}

/** Last sequence of a stream (0 when empty). */
export async function lastSeq(nc: NatsConnection, stream: StreamKey): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(STREAMS[stream])).state.last_seq;
}

/** The infer decisions of one ModelInfer, in order. */
export async function inferDecisions(nc: NatsConnection, namespace: string, modelInfer: string, fromSeq?: number): Promise<ReplayedEvent<InstancesDecision>[]> {
  const evs = await readStream<InstancesDecision>(nc, 'decisions', `mi.decisions.infer.${namespace}.${modelInfer}`, fromSeq);
  return evs.filter((e) => e.envelope.type === INSTANCES_DECISION);
}

/** The instance observations of one ModelInfer, in order. */
export async function observations(nc: NatsConnection, namespace: string, modelInfer: string, fromSeq?: number): Promise<ReplayedEvent<InstanceObservation>[]> {
  const evs = await readStream<InstanceObservation>(nc, 'observed', `mi.observed.instance.${namespace}.${modelInfer}.>`, fromSeq);
  return evs.filter((e) => e.envelope.type === INSTANCE_OBSERVATION);
}
