// Follows one KV bucket for as long as the gateway runs: opens it (waiting for it to exist),
// watches every key from a revision the owner chooses, and starts over after a reconnect or a
// failed watch. The route and config watchers differ only in what they do with each entry.
import type { Logger } from 'winston';
import { openBucket, watchAll, type KV, type KvWatchEntry, type NatsConnection, type QueuedIterator } from './nats.js';

/** The bucket as it was when a watch (re)started. */
export interface OpenedBucket {
  kv: KV;
  lastRevision: number;
  values: number;
}

export interface KvFollowerOptions {
  nc: NatsConnection;
  bucket: string;
  logger: Logger;
  /** Delay before opening a missing bucket again or restarting a watch that ended. */
  retryMs: number;
  /** Revision to watch from at each (re)start; 0 means "last value of every key". */
  fromRevision(opened: OpenedBucket): number;
  /** Called at each (re)start with the opened bucket; returns the handler for that watch's entries. */
  onWatch(opened: OpenedBucket): (e: KvWatchEntry) => void;
  /** Called after a reconnect, before the watch restarts (for a log line). */
  onReconnect?(): void;
}

/** A resilient watch of one bucket; see the file comment. */
export class KvFollower {
  private readonly opts: KvFollowerOptions;
  private iter: QueuedIterator<KvWatchEntry> | null = null;
  private stopped = false;
  private generation = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(opts: KvFollowerOptions) {
    this.opts = opts;
  }

  /** Starts watching and follows connection status for re-watches. */
  start(): void {
    void this.followStatus();
    void this.run();
  }

  /** Stops the watch. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.iter?.stop();
    this.iter = null;
  }

  private async followStatus(): Promise<void> {
    for await (const s of this.opts.nc.status()) {
      if (this.stopped) return;
      if (s.type === 'reconnect') {
        this.opts.onReconnect?.();
        this.restart();
      }
    }
  }

  private restart(): void {
    this.generation++;
    this.iter?.stop();
    this.iter = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.run();
  }

  private retryLater(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.restart();
    }, this.opts.retryMs);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    const gen = this.generation;
    const current = () => !this.stopped && gen === this.generation;
    try {
      const opened = await openBucket(this.opts.nc, this.opts.bucket);
      if (!current()) return;
      const iter = await watchAll(opened.kv, this.opts.fromRevision(opened));
      if (!current()) {
        iter.stop();
        return;
      }
      this.iter = iter;
      const onEntry = this.opts.onWatch(opened);
      for await (const e of iter) onEntry(e);
      if (current()) this.retryLater();
    } catch (err) {
      if (!current()) return;
      if (this.opts.logger.isDebugEnabled()) this.opts.logger.debug(`${this.opts.bucket} watch failed; retrying`, { error: (err as Error).message });
      this.retryLater();
    }
  }
}
