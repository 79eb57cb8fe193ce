// Batching OTLP/HTTP JSON exporter, off the request path: finished items (request traces) go
// into a bounded queue (full: dropped, their spans counted); a timer writes at most `maxBatch`
// items per export request, one export in flight at a time. A failed export drops its batch
// (counted): tracing never holds memory or retries against a collector that is down.
import type { Logger } from 'winston';
import { exportBody, type AttrValue } from './otlp-json.js';
import { TracingConfigError } from './errors.js';

/** Counters an exporter reports to, in spans (prom-client counters in the gateway). */
export interface ExportCounters {
  exported(n: number): void;
  dropped(reason: 'queue_full' | 'export_failed', n: number): void;
}

/** Posts one JSON body; resolves with the HTTP status (the transport is passed in, tests use a real server). */
export type PostJson = (url: string, body: string, timeoutMs: number) => Promise<number>;

export interface SpanExporterOptions<T> {
  url: string;
  resource: Record<string, AttrValue>;
  scope: { name: string; version?: string };
  counters: ExportCounters;
  logger: Logger;
  /** The JSON of an item's spans, comma-separated (otlp-json.ts). */
  encode(item: T): string;
  /** How many spans an item yields. */
  spans(item: T): number;
  /** Items held at most. Default 4096. */
  maxQueue?: number;
  /** Items per export request at most. Default 512. */
  maxBatch?: number;
  /** Export period in ms. Default 1000. */
  periodMs?: number;
  /** Per-export timeout in ms. Default 10000. */
  timeoutMs?: number;
  post?: PostJson;
}

/** Longest wait of an export made while the exporter closes. */
const CLOSE_TIMEOUT_MS = 2000;

/** The default transport: fetch (undici) with a timeout. */
export const postWithFetch: PostJson = async (url, body, timeoutMs) => {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) });
  await r.arrayBuffer();
  return r.status;
};

/** Bounded queue of finished items with periodic batch export. */
export class SpanExporter<T> {
  private readonly o: SpanExporterOptions<T> & Required<Pick<SpanExporterOptions<T>, 'maxQueue' | 'maxBatch' | 'periodMs' | 'timeoutMs' | 'post'>>;
  private queue: T[] = [];
  private inFlight: Promise<void> | null = null;
  private closing = false;
  private readonly timer: NodeJS.Timeout;

  constructor(opts: SpanExporterOptions<T>) {
    this.o = {
      ...opts,
      maxQueue: opts.maxQueue ?? 4096,
      maxBatch: opts.maxBatch ?? 512,
      periodMs: opts.periodMs ?? 1000,
      timeoutMs: opts.timeoutMs ?? 10_000,
      post: opts.post ?? postWithFetch,
    };
    for (const k of ['maxQueue', 'maxBatch', 'periodMs', 'timeoutMs'] as const) {
      const v = this.o[k];
      if (!Number.isInteger(v) || v < 1) throw new TracingConfigError(`${k} must be an integer >= 1, got ${v}`);
    }
    this.timer = setInterval(() => void this.flush(), this.o.periodMs);
    this.timer.unref();
  }

  /** Queues a finished item; when the queue is full it is dropped and its spans counted. */
  add(item: T): void {
    if (this.queue.length < this.o.maxQueue) this.queue.push(item);
    else this.o.counters.dropped('queue_full', this.o.spans(item));
  }

  /** Items waiting for export (tests, debug). */
  get queued(): number {
    return this.queue.length;
  }

  /** Exports what is queued, batch by batch; resolves when done (or with the export in flight). */
  flush(): Promise<void> {
    if (this.inFlight !== null) return this.inFlight;
    if (this.queue.length === 0) return Promise.resolve();
    this.inFlight = this.drain().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.length <= this.o.maxBatch ? this.queue : this.queue.slice(0, this.o.maxBatch);
      this.queue = batch === this.queue ? [] : this.queue.slice(this.o.maxBatch);
      let spans = 0;
      let json = '';
      for (const item of batch) {
        json += json.length > 0 ? `,${this.o.encode(item)}` : this.o.encode(item);
        spans += this.o.spans(item);
      }
      try {
        // While stopping, a slow collector must not hold the gateway's shutdown for long.
        const timeoutMs = this.closing ? Math.min(this.o.timeoutMs, CLOSE_TIMEOUT_MS) : this.o.timeoutMs;
        const status = await this.o.post(this.o.url, exportBody(this.o.resource, this.o.scope, json), timeoutMs);
        if (status >= 200 && status < 300) this.o.counters.exported(spans);
        else this.failed(spans, `collector answered ${status}`);
      } catch (err) {
        this.failed(spans, (err as Error).message);
      }
    }
  }

  private failed(n: number, why: string): void {
    this.o.counters.dropped('export_failed', n);
    if (this.o.logger.isWarnEnabled()) this.o.logger.warn('OTLP export failed; spans dropped', { url: this.o.url, spans: n, error: why });
  }

  /** Stops the timer and exports what is left (each export bounded by CLOSE_TIMEOUT_MS). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.closing = true;
    await this.inFlight;
    await this.flush();
  }
}
