// Batching OTLP/HTTP JSON exporter, off the request path: finished spans go into a bounded
// queue (full: the span is dropped and counted); a timer posts at most `maxBatch` spans per
// period, one export in flight at a time. A failed export drops its batch (counted): tracing
// never holds memory or retries against a collector that is down.
import type { Logger } from 'winston';
import { encodeTraces, type AttrValue, type SpanRecord } from './otlp-json.js';
import { TracingConfigError } from './errors.js';

/** Counters an exporter reports to (prom-client counters in the gateway). */
export interface ExportCounters {
  exported(n: number): void;
  dropped(reason: 'queue_full' | 'export_failed', n: number): void;
}

/** Posts one JSON body; resolves with the HTTP status (the transport is passed in, tests use a real server). */
export type PostJson = (url: string, body: string, timeoutMs: number) => Promise<number>;

export interface SpanExporterOptions {
  url: string;
  resource: Record<string, AttrValue>;
  scope: { name: string; version?: string };
  counters: ExportCounters;
  logger: Logger;
  /** Spans held at most. Default 4096. */
  maxQueue?: number;
  /** Spans per export request at most. Default 512. */
  maxBatch?: number;
  /** Export period in ms. Default 1000. */
  periodMs?: number;
  /** Per-export timeout in ms. Default 10000. */
  timeoutMs?: number;
  post?: PostJson;
}

/** The default transport: fetch (undici) with a timeout. */
export const postWithFetch: PostJson = async (url, body, timeoutMs) => {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) });
  await r.arrayBuffer();
  return r.status;
};

/** Bounded span queue with periodic batch export. */
export class SpanExporter {
  private readonly o: Required<Omit<SpanExporterOptions, 'resource' | 'scope' | 'counters' | 'logger' | 'url'>> & SpanExporterOptions;
  private queue: SpanRecord[] = [];
  private inFlight: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(opts: SpanExporterOptions) {
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

  /** Queues finished spans; what does not fit is dropped and counted. */
  add(spans: SpanRecord[]): void {
    const room = this.o.maxQueue - this.queue.length;
    if (room >= spans.length) {
      for (const s of spans) this.queue.push(s);
      return;
    }
    for (let i = 0; i < room; i++) this.queue.push(spans[i]);
    this.o.counters.dropped('queue_full', spans.length - Math.max(0, room));
  }

  /** Spans waiting for export (tests, debug). */
  get queued(): number {
    return this.queue.length;
  }

  /** Exports what is queued, batch by batch; resolves when done (or at once if an export is in flight). */
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
      const body = JSON.stringify(encodeTraces(this.o.resource, this.o.scope, batch));
      try {
        const status = await this.o.post(this.o.url, body, this.o.timeoutMs);
        if (status >= 200 && status < 300) this.o.counters.exported(batch.length);
        else this.failed(batch.length, `collector answered ${status}`);
      } catch (err) {
        this.failed(batch.length, (err as Error).message);
      }
    }
  }

  private failed(n: number, why: string): void {
    this.o.counters.dropped('export_failed', n);
    if (this.o.logger.isWarnEnabled()) this.o.logger.warn('OTLP export failed; spans dropped', { url: this.o.url, spans: n, error: why });
  }

  /** Stops the timer and exports what is left (bounded by the export timeout). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
