// Explainability on the request path: the `x-mi-explain` response header when a client asks for
// it, and sampled decision events on `mi.decisions.gateway.<ns>.<model>`. Costs one header read
// and one comparison per request when nobody asked and the sample rate is 0.
import type { ServerResponse } from 'node:http';
import { decisionSubject, encodeEvent, makeEvent, parseTraceparent } from '@matrixinfer/events';
import type { RequestTrace } from '../tracing/tracer.js';
import type { Logger } from 'winston';
import { explainHeader, explainRecord, sampleDecision, wantsExplain, EXPLAIN_HEADER_MAX_LENGTH } from '../scheduler/index.js';
import type { RequestInfo, ScheduleResult } from '../scheduler/types.js';
import type { NatsConnection } from './nats.js';
import type { SchedulerMetrics } from './scheduler-metrics.js';

/** Response header carrying the compact explanation. */
export const EXPLAIN_RESPONSE_HEADER = 'x-mi-explain';

/** Event type of a published scheduling decision. */
export const DECISION_EVENT_TYPE = 'gateway.schedule';

/** Default share of requests whose decision is published. */
export const DEFAULT_DECISION_SAMPLE_RATE = 0.01;

/** True when `v` is a usable sample rate. */
export function isSampleRate(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
}

export interface DecisionTapOptions {
  nc: NatsConnection;
  /** Gateway replica name (event source `gateway/<name>`). */
  gateway: string;
  metrics: SchedulerMetrics;
  logger: Logger;
  /** Initial sample rate in [0,1]; DEFAULT_DECISION_SAMPLE_RATE when omitted. */
  sampleRate?: number;
}

/** Per-gateway explain/sampling tap, called once per scheduled request. */
export class DecisionTap {
  private readonly opts: DecisionTapOptions;
  private readonly source: string;
  /** Rate in force; changed live from mi-config (`gateway.decisionSampleRate`). */
  sampleRate: number;

  constructor(opts: DecisionTapOptions) {
    this.opts = opts;
    this.source = `gateway/${opts.gateway}`;
    this.sampleRate = opts.sampleRate ?? DEFAULT_DECISION_SAMPLE_RATE;
  }

  /**
   * Before scheduling: whether this request's decision is explained (asked for, or sampled;
   * deterministic per request). The rest are placed without the explanation (Scheduler.place).
   */
  wants(info: RequestInfo): boolean {
    return wantsExplain(info) || (this.sampleRate > 0 && sampleDecision(info, this.sampleRate));
  }

  /**
   * After `schedule()`: sets the explain header when the request asked for it (before any
   * status line, so error answers carry it too) and publishes the decision when sampled;
   * an explain request is always published. The event's envelope carries the request's trace
   * context: the gateway's route span when traced, else a valid traceparent of the client.
   */
  decided(info: RequestInfo, result: ScheduleResult, namespace: string, res: ServerResponse, trace: RequestTrace | null = null): void {
    const explain = wantsExplain(info);
    if (explain) res.setHeader(EXPLAIN_RESPONSE_HEADER, explainHeader(result, EXPLAIN_HEADER_MAX_LENGTH));
    if (explain || (this.sampleRate > 0 && sampleDecision(info, this.sampleRate))) this.publish(info, result, namespace, trace);
  }

  private publish(info: RequestInfo, result: ScheduleResult, namespace: string, trace: RequestTrace | null): void {
    const nc = this.opts.nc;
    if (nc.isClosed()) return;
    try {
      const subject = decisionSubject('gateway', namespace, info.model);
      const header = info.headers.traceparent;
      const traceparent = trace !== null ? trace.routeTraceparent() : parseTraceparent(header) !== null ? (header as string).trim() : undefined;
      const event = makeEvent(DECISION_EVENT_TYPE, this.source, subject, explainRecord(info, result), { now: () => info.nowMs, traceparent });
      nc.publish(subject, encodeEvent(event));
      this.opts.metrics.decisionsPublished.inc();
    } catch (err) {
      // A model name that is not a subject token cannot be published; routing goes on.
      if (this.opts.logger.isDebugEnabled()) this.opts.logger.debug('decision not published', { model: info.model, error: (err as Error).message });
    }
  }
}
