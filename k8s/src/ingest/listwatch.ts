// A list-then-watch loop for one kind, as an informer does, with the hooks the ingest needs:
// every (re)list hands the whole list to `onList` (to reconcile what happened while nobody
// watched), then the watch resumes from the list's resourceVersion with bookmarks. A 410 Gone
// (compacted resourceVersion) relists; a failed list, watch or handler retries with backoff
// (a failed handler relists, so nothing is lost). Events are handled one at a time, in order.
import type { Logger } from 'winston';

/** A list: the items and the resourceVersion to watch from. */
export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

/** Event types of the Kubernetes watch protocol. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** A running watch request. */
export interface WatchHandle {
  abort(): void;
}

/** What the loop needs from the API server for one kind (client-node in kube-source.ts, fakes in tests). */
export interface KindSource<T> {
  list(): Promise<ListResult<T>>;
  /** Watches from `resourceVersion`; `onDone` is called once when the watch ends (null: closed cleanly). */
  watch(resourceVersion: string, onEvent: (type: WatchEventType, obj: unknown) => void, onDone: (err: unknown) => void): Promise<WatchHandle>;
}

/** What the loop calls; a rejection makes the loop relist after a backoff. */
export interface ListWatchHandlers<T> {
  onList(items: T[]): Promise<void>;
  onEvent(type: 'upsert' | 'delete', obj: T): Promise<void>;
}

export interface ListWatchOptions<T> {
  name: string;
  source: KindSource<T>;
  handlers: ListWatchHandlers<T>;
  logger: Logger;
  /** First retry delay, doubled per failure up to maxBackoffMs (defaults 500 and 10 000). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Waits `ms` or until `signal` aborts (default: a timer); tests pass their own. */
  delay?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Counters of a running loop (for logs and tests). */
export interface ListWatchStats {
  lists: number;
  watches: number;
  gone: number;
  failures: number;
  /** resourceVersion the next watch starts from ('' = relist next). */
  resourceVersion: string;
}

/** A running loop. */
export interface ListWatch {
  /** Resolves after the first list was handled. */
  synced: Promise<void>;
  stats(): ListWatchStats;
  stop(): Promise<void>;
}

function defaultDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/** HTTP-ish status of a watch/list failure or ERROR event (`code` or `statusCode`), else undefined. */
export function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

function rvOf(obj: unknown): string | undefined {
  const rv = (obj as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

/** Starts the loop; it runs until stop(). */
export function startListWatch<T>(opts: ListWatchOptions<T>): ListWatch {
  const log = opts.logger;
  const initial = opts.initialBackoffMs ?? 500;
  const max = opts.maxBackoffMs ?? 10_000;
  const delay = opts.delay ?? defaultDelay;
  const stopping = new AbortController();
  const stats: ListWatchStats = { lists: 0, watches: 0, gone: 0, failures: 0, resourceVersion: '' };
  let backoff = initial;
  let current: WatchHandle | undefined;
  let markSynced!: () => void;
  const synced = new Promise<void>((r) => (markSynced = r));

  async function fail(what: string, err: unknown): Promise<void> {
    stats.failures++;
    log.warn(`${opts.name}: ${what} failed; retrying`, { error: (err as Error)?.message ?? String(err), inMs: backoff });
    await delay(backoff, stopping.signal);
    backoff = Math.min(max, backoff * 2);
  }

  async function relist(): Promise<boolean> {
    let list: ListResult<T>;
    try {
      list = await opts.source.list();
    } catch (err) {
      await fail('list', err);
      return false;
    }
    stats.lists++;
    try {
      await opts.handlers.onList(list.items);
    } catch (err) {
      await fail('handling the list', err);
      return false;
    }
    stats.resourceVersion = list.resourceVersion;
    markSynced();
    return true;
  }

  // One watch request; resolves when it ended and every event it delivered was handled.
  async function watchOnce(): Promise<void> {
    let queue = Promise.resolve();
    let handlerFailed: unknown;
    let gone = false;
    let sawEvent = false;
    const ended = new Promise<unknown>((resolve) => {
      const onEvent = (type: WatchEventType, obj: unknown): void => {
        sawEvent = true;
        if (type === 'ERROR') {
          if (statusOf(obj) === 410) gone = true;
          else handlerFailed ??= new Error(`watch error event: ${JSON.stringify(obj)}`);
          current?.abort();
          return;
        }
        queue = queue.then(async () => {
          if (gone || handlerFailed !== undefined || stopping.signal.aborted) return;
          if (type !== 'BOOKMARK') {
            try {
              await opts.handlers.onEvent(type === 'DELETED' ? 'delete' : 'upsert', obj as T);
            } catch (err) {
              handlerFailed = err;
              current?.abort();
              return;
            }
          }
          const rv = rvOf(obj);
          if (rv !== undefined) stats.resourceVersion = rv;
        });
      };
      opts.source.watch(stats.resourceVersion, onEvent, resolve).then(
        (h) => {
          current = h;
          if (stopping.signal.aborted) h.abort();
        },
        resolve,
      );
    });
    const err = await ended;
    await queue;
    current = undefined;
    stats.watches++;
    if (stopping.signal.aborted) return;
    if (gone || statusOf(err) === 410) {
      stats.gone++;
      log.info(`${opts.name}: resourceVersion ${stats.resourceVersion} is gone (410); relisting`);
      stats.resourceVersion = '';
      return;
    }
    if (handlerFailed !== undefined) {
      stats.resourceVersion = '';
      await fail('handling a watch event', handlerFailed);
      return;
    }
    if (err) {
      await fail('watch', err);
      return;
    }
    if (sawEvent) backoff = initial;
    // Closed cleanly without a single event: wait before the next request, so a server that
    // closes watches at once is not asked again in a tight loop.
    else await delay(backoff, stopping.signal);
  }

  const done = (async () => {
    while (!stopping.signal.aborted) {
      if (stats.resourceVersion === '') {
        if (!(await relist())) continue;
        backoff = initial;
      }
      if (stopping.signal.aborted) break;
      await watchOnce();
    }
  })();

  return {
    synced,
    stats: () => ({ ...stats }),
    async stop() {
      stopping.abort();
      current?.abort();
      await done;
    },
  };
}
