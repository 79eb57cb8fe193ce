// The external-metrics poller (thin I/O around targets/poll/result): follows the desired
// resources (AutoscalingPolicy, AutoscalingPolicyBinding on MI_DESIRED), evaluates every policy
// query against Prometheus once per tick, and publishes one ExternalSample per binding on
// `mi.metrics.external.<ns>.<binding>` (MI_METRICS), errors included, for the autoscaler.
// Ticks are aligned to multiples of tickMs and each query is evaluated at the tick time.
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { EXTERNAL_SAMPLE, STREAMS, SUBJECT_ROOT, encodeSample, externalMetricsSubject, resourceChange, type StoredResource } from '@matrixinfer/events';
import type { Logger } from 'winston';
import type { ControlPlaneMetrics } from '../observability/metrics.js';
import { startTail, type Tail } from '../controllers/runner/tail.js';
import { startAlignedTicker } from '../runtime/ticker.js';
import { InvalidExternalOptionError } from './errors.js';
import { NOT_CONFIGURED, changedOutcomes, sampleOf } from './poll.js';
import { queryPrometheus } from './prometheus.js';
import type { QueryOutcome } from './result.js';
import { distinctQueries, pollTargets } from './targets.js';

const SOURCE = 'external-metrics';

export interface ExternalMetricsOptions {
  nc: NatsConnection;
  logger: Logger;
  /** Prometheus base URL (http or https; a path prefix is kept). Absent: queries publish MI_ERR_EXTERNAL_NOT_CONFIGURED. */
  prometheusUrl?: string;
  /** Poll interval; default 2000 ms (the autoscaler's tick). */
  tickMs?: number;
  /** Per-query timeout; default the tick. */
  timeoutMs?: number;
  /** Clock in epoch ms; default Date.now. */
  now?: () => number;
  /** Tail lag is recorded here (none: not recorded). */
  metrics?: ControlPlaneMetrics;
}

/** Counters of a running poller. */
export interface ExternalMetricsStats {
  ticks: number;
  queries: number;
  failures: number;
  published: number;
  targets: number;
}

/** A running poller. */
export interface ExternalMetrics {
  /** Polls every target now (the loop calls it each tick; tests may call it directly). */
  tick(): Promise<void>;
  stats(): ExternalMetricsStats;
  stop(): Promise<void>;
}

/** Checks the URL and returns it normalized; throws InvalidExternalOptionError (bad configuration fails at start-up). */
export function parsePrometheusUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidExternalOptionError(`--prometheus-url ${JSON.stringify(text)} is not a URL (e.g. http://127.0.0.1:9090)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidExternalOptionError(`--prometheus-url ${JSON.stringify(text)} must be http:// or https://`);
  if (url.search !== '' || url.hash !== '') throw new InvalidExternalOptionError(`--prometheus-url ${JSON.stringify(text)} must not have a query or fragment`);
  return url.toString();
}

/** Starts the poller; resolves once it has read the desired resources. */
export async function startExternalMetrics(opts: ExternalMetricsOptions): Promise<ExternalMetrics> {
  const tickMs = opts.tickMs ?? 2000;
  if (!(tickMs > 0)) throw new InvalidExternalOptionError(`tickMs must be > 0, got ${tickMs}`);
  const timeoutMs = opts.timeoutMs ?? tickMs;
  if (!(timeoutMs > 0)) throw new InvalidExternalOptionError(`timeoutMs must be > 0, got ${timeoutMs}`);
  const baseUrl = opts.prometheusUrl === undefined || opts.prometheusUrl === '' ? undefined : parsePrometheusUrl(opts.prometheusUrl);
  const now = opts.now ?? Date.now;
  const logger = opts.logger.child({ component: SOURCE });
  const resources = new Map<string, StoredResource>();
  const stats: ExternalMetricsStats = { ticks: 0, queries: 0, failures: 0, published: 0, targets: 0 };
  const lastKind = new Map<string, string>();

  const tail: Tail = await startTail({
    js: jetstream(opts.nc),
    stream: STREAMS.desired,
    filter: `${SUBJECT_ROOT}.desired.>`,
    logger,
    metrics: opts.metrics,
    consumer: `${SOURCE}:${SUBJECT_ROOT}.desired.>`,
    onEvent: async (ev) => {
      const change = resourceChange(ev as Parameters<typeof resourceChange>[0]);
      if (change === null || (change.kind !== 'AutoscalingPolicy' && change.kind !== 'AutoscalingPolicyBinding')) return;
      if (change.resource) resources.set(change.key, change.resource);
      else resources.delete(change.key);
    },
  });
  try {
    await tail.caughtUp;
  } catch (err) {
    await tail.stop();
    throw err;
  }
  logger.info('external metrics started', { prometheusUrl: baseUrl ?? null, tickMs, timeoutMs });

  async function tickOnce(): Promise<void> {
    const tickStart = Math.floor(now() / tickMs) * tickMs;
    const targets = pollTargets(resources.values());
    stats.ticks++;
    stats.targets = targets.length;
    if (targets.length === 0) return;
    const queries = distinctQueries(targets);
    const outcomes = new Map<string, QueryOutcome>();
    await Promise.all(
      queries.map(async (q) => {
        const o = baseUrl === undefined ? NOT_CONFIGURED : await queryPrometheus(baseUrl, q, tickStart, timeoutMs);
        outcomes.set(q, o);
      }),
    );
    stats.queries += baseUrl === undefined ? 0 : queries.length;
    for (const o of outcomes.values()) if ('error' in o) stats.failures++;
    for (const c of changedOutcomes(lastKind, outcomes)) {
      if ('error' in c.outcome) logger.warn('external metric query failed', { query: c.query, code: c.outcome.error.code, error: c.outcome.error.message });
      else if (lastKind.has(c.query)) logger.info('external metric query answers again', { query: c.query, value: c.outcome.value });
      lastKind.set(c.query, c.now);
    }
    for (const q of lastKind.keys()) if (!outcomes.has(q)) lastKind.delete(q);
    for (const t of targets) {
      const subject = externalMetricsSubject(t.namespace, t.binding);
      opts.nc.publish(subject, encodeSample(EXTERNAL_SAMPLE, SOURCE, subject, sampleOf(t, outcomes, tickStart)));
      stats.published++;
    }
    await opts.nc.flush();
  }

  // Serial: a slow Prometheus delays the next tick instead of piling up queries.
  const ticker = startAlignedTicker({ tickMs, now, onTick: tickOnce, onError: (err) => logger.warn('external metrics tick failed', { error: (err as Error).message }) });

  return {
    tick: ticker.tick,
    stats: () => ({ ...stats }),
    async stop() {
      await ticker.stop();
      await tail.stop();
    },
  };
}
