// Runs the projector on NATS: tails MI_DESIRED, instance observations and infer decisions,
// and keeps `mi-routes` and `mi-status` equal to the projection: a key is put only when its
// bytes change and deleted when it leaves the projection. Writes are batched: after a burst
// of events one flush writes the differences. Start-up: the buckets' current values are read
// first, so a restart writes nothing when nothing changed.
import type { JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { BUCKETS, encodeRouteEntry, openKv, stableStringify, STREAMS } from '@matrixinfer/events';
import type { Logger } from 'winston';
import type { ControlPlaneMetrics } from '../observability/metrics.js';
import { endpointObservationEvent, instancesDecisionEvent, observationEvent, resourceEvent } from '../controllers/runner/events.js';
import { createSerialQueue } from '../controllers/runner/queue.js';
import { startTail, type Tail, type TailedEvent } from '../controllers/runner/tail.js';
import { projectRoutes } from './routes.js';
import { foldProjector, initialProjectorState } from './state.js';
import { projectStatus } from './status.js';

export interface ProjectorRunnerOptions {
  js: JetStreamClient;
  logger: Logger;
  /** Bucket names (tests); default mi-routes and mi-status. */
  routesBucket?: string;
  statusBucket?: string;
  /** Propagation latency, KV writes and tail lag are recorded here (none: not recorded). */
  metrics?: ControlPlaneMetrics;
  /** Clock in epoch ms (propagation latency); default Date.now. */
  now?: () => number;
}

const SOURCE = 'projector';

// mi-status is shared: the autoscaler writes `autoscaler.*` and binding keys. The projector
// owns (and may delete) only the statuses it projects, or it would wipe the others at start.
const OWNED_STATUS = /^(model|modelinfer|modelserver)\./;

/** Bytes of every key of a bucket that `owned` accepts (deleted keys excluded). */
async function readBucket(kv: KV, owned: (key: string) => boolean = () => true): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const keys: string[] = [];
  for await (const k of await kv.keys()) if (owned(k)) keys.push(k);
  for (const k of keys) {
    const e = await kv.get(k);
    if (e && e.operation === 'PUT') out.set(k, new TextDecoder().decode(e.value));
  }
  return out;
}

/** Puts changed keys and deletes removed ones; `written` is updated to the new content. */
async function sync(kv: KV, written: Map<string, string>, want: Map<string, string>, logger: Logger, what: string): Promise<number> {
  let changes = 0;
  for (const [k, v] of [...want].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (written.get(k) === v) continue;
    await kv.put(k, v);
    written.set(k, v);
    changes++;
    logger.debug(`${what} updated`, { key: k });
  }
  for (const k of [...written.keys()].sort()) {
    if (want.has(k)) continue;
    await kv.delete(k);
    written.delete(k);
    changes++;
    logger.debug(`${what} removed`, { key: k });
  }
  return changes;
}

/** Starts the projector; resolves once the buckets match the streams. */
export async function startProjectorRunner(opts: ProjectorRunnerOptions): Promise<{ stop(): Promise<void> }> {
  const { js } = opts;
  const logger = opts.logger.child({ component: SOURCE });
  const routesKv = await openKv(js, opts.routesBucket ?? BUCKETS.routes);
  const statusKv = await openKv(js, opts.statusBucket ?? BUCKETS.status);
  const state = initialProjectorState();
  const queue = createSerialQueue();
  const writtenRoutes = await readBucket(routesKv);
  const writtenStatus = await readBucket(statusKv, (k) => OWNED_STATUS.test(k));
  let live = false;
  let stopped = false;
  let flushScheduled = false;
  const conflictsLogged = new Set<string>();
  const now = opts.now ?? Date.now;
  const propagation = opts.metrics?.projectorPropagation;
  const routeWrites = opts.metrics?.projectorWrites.labels('routes');
  const statusWrites = opts.metrics?.projectorWrites.labels('status');
  /** Stream time of the oldest event folded since the last flush (NaN: none). */
  let oldestPendingMs = Number.NaN;

  async function flush(): Promise<void> {
    flushScheduled = false;
    if (stopped) return;
    const { entries, conflicts } = projectRoutes(state);
    for (const c of conflicts) {
      if (!conflictsLogged.has(c)) logger.warn(c);
      conflictsLogged.add(c);
    }
    const routes = new Map([...entries].map(([k, e]) => [k, new TextDecoder().decode(encodeRouteEntry(e))]));
    const statuses = new Map([...projectStatus(state)].map(([k, v]) => [k, stableStringify(v)]));
    const since = oldestPendingMs;
    oldestPendingMs = Number.NaN;
    const nRoutes = await sync(routesKv, writtenRoutes, routes, logger, 'route');
    const nStatus = await sync(statusKv, writtenStatus, statuses, logger, 'status');
    const n = nRoutes + nStatus;
    routeWrites?.inc(nRoutes);
    statusWrites?.inc(nStatus);
    // Only live changes: the start-up flush would measure the age of the whole history.
    if (n > 0 && live && !Number.isNaN(since)) propagation?.observe(Math.max(0, now() - since) / 1000);
    if (n > 0) logger.debug('projection written', { changes: n, routes: routes.size });
  }

  function markDirty(): void {
    if (!live || flushScheduled || stopped) return;
    flushScheduled = true;
    // Queued behind the events already delivered: a burst becomes one flush.
    setImmediate(() => void queue.run(flush).catch((err: Error) => logger.error('cannot write projection', { error: err.message })));
  }

  const onEvent = (ev: TailedEvent) =>
    queue.run(() => {
      const r = resourceEvent(ev);
      if (r) foldProjector(state, { type: 'resource', ...r });
      else {
        const o = observationEvent(ev);
        const e = o ? null : endpointObservationEvent(ev);
        if (o) foldProjector(state, { type: 'observation', observation: o });
        else if (e) foldProjector(state, { type: 'endpoint', endpoint: e });
        else {
          const d = instancesDecisionEvent(ev);
          if (!d) return;
          foldProjector(state, { type: 'decision', decision: d });
        }
      }
      if (live && !(ev.storedMs >= oldestPendingMs)) oldestPendingMs = ev.storedMs;
      markDirty();
    });

  const tails: Tail[] = [];
  tails.push(await startTail({ js, stream: STREAMS.desired, filter: 'mi.desired.>', logger, onEvent, metrics: opts.metrics, consumer: `${SOURCE}:mi.desired.>` }));
  tails.push(await startTail({ js, stream: STREAMS.observed, filter: 'mi.observed.instance.>', logger, onEvent, metrics: opts.metrics, consumer: `${SOURCE}:mi.observed.instance.>` }));
  tails.push(await startTail({ js, stream: STREAMS.observed, filter: 'mi.observed.endpoint.>', logger, onEvent, metrics: opts.metrics, consumer: `${SOURCE}:mi.observed.endpoint.>` }));
  tails.push(await startTail({ js, stream: STREAMS.decisions, filter: 'mi.decisions.infer.>', logger, onEvent, metrics: opts.metrics, consumer: `${SOURCE}:mi.decisions.infer.>` }));
  await Promise.all(tails.map((t) => t.caughtUp));
  await queue.run(async () => {
    live = true;
    await flush();
  });
  logger.info('projector running', { routes: writtenRoutes.size });
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(tails.map((t) => t.stop()));
      await queue.idle();
    },
  };
}
