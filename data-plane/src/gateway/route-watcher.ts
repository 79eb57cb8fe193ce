// Keeps a gateway's routing table in step with the `mi-routes` bucket: loads every last value,
// then swaps in a new immutable table per change. Survives NATS outages: the last table keeps
// serving, and after a reconnect the watch restarts from the last revision it folded in.
import { BUCKETS, decodeRouteEntry } from '@matrixinfer/events';
import type { Logger } from 'winston';
import { applyUpdates, EMPTY_TABLE, type RouteTable, type RouteUpdate } from './route-table.js';
import { KvFollower } from './kv-follower.js';
import type { KvWatchEntry, NatsConnection } from './nats.js';

/** Where the current table lives; request handlers read `table` once per request. */
export interface TableHolder {
  table: RouteTable;
  /** True once the initial contents of the bucket were folded in (even when empty). */
  ready: boolean;
}

/** Converts one watch entry into a table update. */
export function toUpdate(e: KvWatchEntry): RouteUpdate {
  if (e.operation === 'PUT') {
    const entry = decodeRouteEntry(e.value);
    return { op: 'put', key: e.key, revision: e.revision, entry: entry && entry.name === e.key ? entry : null };
  }
  return { op: 'del', key: e.key, revision: e.revision };
}

export interface RouteWatcherOptions {
  nc: NatsConnection;
  holder: TableHolder;
  logger: Logger;
  bucket?: string;
  /** Called after each swap (tests, propagation benchmark). */
  onSwap?: (table: RouteTable) => void;
  /** Delay between attempts to open a missing bucket or restart a failed watch. */
  retryMs?: number;
}

/** Watches the bucket until stop(); see the file comment. */
export class RouteWatcher {
  private readonly opts: RouteWatcherOptions;
  private readonly follower: KvFollower;
  private readyResolve!: () => void;
  /** Resolves when the initial table is loaded. */
  readonly whenReady: Promise<void>;

  constructor(opts: RouteWatcherOptions) {
    this.opts = opts;
    this.whenReady = new Promise((resolve) => (this.readyResolve = resolve));
    const holder = opts.holder;
    this.follower = new KvFollower({
      nc: opts.nc,
      bucket: opts.bucket ?? BUCKETS.routes,
      logger: opts.logger,
      retryMs: opts.retryMs ?? 500,
      // After the first load, resume after the last revision folded in: nothing is missed.
      fromRevision: () => (holder.table === EMPTY_TABLE && !holder.ready ? 0 : holder.table.revision + 1),
      onReconnect: () => opts.logger.info('nats reconnected: re-watching routes', { revision: holder.table.revision }),
      onWatch: ({ lastRevision, values }) => {
        // Until the bucket's last revision at open time is seen, batch: one swap for the whole load.
        let pending: RouteUpdate[] | null = holder.ready ? null : [];
        if (pending && (values === 0 || lastRevision <= holder.table.revision)) {
          pending = null;
          this.markReady();
        }
        return (e) => {
          if (!pending) return this.swap([toUpdate(e)]);
          pending.push(toUpdate(e));
          if (e.revision >= lastRevision || e.isUpdate) {
            this.swap(pending);
            pending = null;
            this.markReady();
          }
        };
      },
    });
  }

  /** Starts watching and follows connection status for re-watches. */
  start(): void {
    this.follower.start();
  }

  /** Stops the watch; the table stays as it is. */
  stop(): void {
    this.follower.stop();
  }

  private swap(updates: RouteUpdate[]): void {
    const holder = this.opts.holder;
    const next = applyUpdates(holder.table, updates);
    if (next === holder.table) return;
    holder.table = next;
    this.opts.onSwap?.(next);
  }

  private markReady(): void {
    if (this.opts.holder.ready) return;
    this.opts.holder.ready = true;
    this.opts.logger.info('routing table loaded', { entries: this.opts.holder.table.entries.size, revision: this.opts.holder.table.revision });
    this.readyResolve();
  }
}
