// The collector: learns ready endpoints from InstanceObservations, scrapes each one's /metrics
// (and /v1/models for LoRA adapters) every interval, normalizes vLLM/SGLang names into an
// EngineSample and publishes it on `mi.metrics.engine.<namespace>.<endpoint id>`.
//
// Payload: the EngineSample JSON itself, without the event envelope, published with core NATS
// (MI_METRICS still stores it): samples are high-volume, short-lived measurements and the
// gateway reads them as bare samples (data-plane/src/gateway/gateway.ts).
import type { Logger } from 'winston';
import type { NatsConnection } from '@nats-io/transport-node';
import { ENGINE_SAMPLE, STREAMS, encodeSample, metricsSubject, type EngineSample, type InstanceObservation } from '@matrixinfer/events';
import { followStream, type Follower } from '../actuator/bus.js';
import { anyMetricValues, parsePrometheusTypes, type ParsedScrape } from './any-metric.js';
import { applyObservation, applyServerEvent, modelServerOf, type Endpoint, type ServerSelector } from './endpoints.js';
import { InvalidCollectorOptionError } from './errors.js';
import { buildEngineSample, normalizeEngineMetrics, parseAdapters, type EngineMetrics } from './normalize.js';
import { parsePrometheusText } from './prometheus.js';
import { scrapeEndpoint } from './scrape.js';

/** Options of startCollector. */
export interface CollectorOptions {
  nc: NatsConnection;
  logger: Logger;
  /** Time between scrape cycles (default 1000 ms). */
  intervalMs?: number;
  /** Per-request timeout (default 2000 ms; cycles never overlap, a slow endpoint only delays the next). */
  scrapeTimeoutMs?: number;
  /** Clock for sample times (default Date.now). */
  now?: () => number;
}

/** Counters since start. */
export interface CollectorStats {
  cycles: number;
  scrapes: number;
  published: number;
  scrapeFailures: number;
  /** Scrapes that answered but held no vLLM/SGLang metric. */
  unrecognized: number;
  publishFailures: number;
  endpoints: number;
}

/** A running collector. */
export interface Collector {
  stop(): Promise<void>;
  stats(): CollectorStats;
}

interface Previous {
  address: string;
  metrics: EngineMetrics;
  scrape: ParsedScrape;
}

/** Starts the collector: follows observations (and ModelServers), scrapes each interval. */
export async function startCollector(opts: CollectorOptions): Promise<Collector> {
  const intervalMs = opts.intervalMs ?? 1000;
  if (!(intervalMs > 0)) throw new InvalidCollectorOptionError(`intervalMs must be > 0, got ${intervalMs}`);
  const timeoutMs = opts.scrapeTimeoutMs ?? 2000;
  if (!(timeoutMs > 0)) throw new InvalidCollectorOptionError(`scrapeTimeoutMs must be > 0, got ${timeoutMs}`);
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ component: 'collector' });
  const endpoints = new Map<string, Endpoint>();
  const servers = new Map<string, ServerSelector>();
  const previous = new Map<string, Previous>();
  const failing = new Map<string, number>();
  const stats: CollectorStats = { cycles: 0, scrapes: 0, published: 0, scrapeFailures: 0, unrecognized: 0, publishFailures: 0, endpoints: 0 };
  const onBad = (subject: string, err: unknown): void => {
    log.debug('ignoring a malformed event', { subject, error: (err as Error).message });
  };

  // The last observation per instance subject is its current phase: no need for older history.
  const observations: Follower = await followStream(opts.nc, STREAMS.observed, 'mi.observed.instance.>', 'last-per-subject', (e) => {
    applyObservation(endpoints, e.data as InstanceObservation);
  }, onBad);
  let serverFollower: Follower | undefined;
  try {
    serverFollower = await followStream(opts.nc, STREAMS.desired, 'mi.desired.modelserver.>', 'last-per-subject', (e) => applyServerEvent(servers, e.type, e.data), onBad);
  } catch (err) {
    // Without MI_DESIRED samples still flow, only with an empty modelServer.
    log.warn('cannot follow ModelServers; samples will have no modelServer', { error: (err as Error).message });
  }

  async function scrapeOne(key: string, ep: Endpoint): Promise<void> {
    stats.scrapes += 1;
    let text: string;
    let models: unknown;
    try {
      ({ metricsText: text, models } = await scrapeEndpoint(ep.address, timeoutMs));
    } catch (err) {
      stats.scrapeFailures += 1;
      // A dead endpoint fails every cycle until its observation says so: warn on the first
      // failure and then once a minute-ish, not every second.
      const n = (failing.get(key) ?? 0) + 1;
      failing.set(key, n);
      const level = n === 1 || n % 60 === 0 ? 'warn' : 'debug';
      log.log(level, 'scrape failed', { endpoint: ep.id, address: ep.address, consecutiveFailures: n, error: (err as Error).message });
      return;
    }
    if (failing.delete(key)) log.info('scrape recovered', { endpoint: ep.id, address: ep.address });
    const parsed: ParsedScrape = { samples: parsePrometheusText(text), types: parsePrometheusTypes(text), timeMs: now() };
    const normalized = normalizeEngineMetrics(parsed.samples);
    if (!normalized.valid) {
      stats.unrecognized += 1;
      log.debug('no engine metrics', { endpoint: ep.id, reason: normalized.reason });
      return;
    }
    // Deltas only against a scrape of the same process (a new address is a new process).
    const prev = previous.get(key);
    const same = prev !== undefined && prev.address === ep.address ? prev : undefined;
    const base = same?.metrics;
    previous.set(key, { address: ep.address, metrics: normalized.metrics, scrape: parsed });
    const identity = { id: ep.id, address: ep.address, target: ep.modelInfer, modelServer: modelServerOf(servers.values(), ep) };
    const sample: EngineSample = buildEngineSample(identity, normalized.metrics, base, models === undefined ? undefined : parseAdapters(models), parsed.timeMs);
    sample.custom = anyMetricValues(same?.scrape, parsed);
    try {
      const subject = metricsSubject('engine', ep.namespace, ep.id);
      opts.nc.publish(subject, encodeSample(ENGINE_SAMPLE, 'collector', subject, sample));
      stats.published += 1;
    } catch (err) {
      stats.publishFailures += 1;
      log.warn('cannot publish sample', { endpoint: ep.id, error: (err as Error).message });
    }
  }

  async function cycle(): Promise<void> {
    stats.cycles += 1;
    for (const key of previous.keys()) if (!endpoints.has(key)) previous.delete(key);
    for (const key of failing.keys()) if (!endpoints.has(key)) failing.delete(key);
    stats.endpoints = endpoints.size;
    await Promise.all([...endpoints].map(([key, ep]) => scrapeOne(key, ep)));
  }

  // Cycles never overlap: the next one is scheduled when the current one ends.
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    const started = Date.now();
    running = cycle()
      .catch((err: unknown) => {
        log.error('scrape cycle failed', { error: (err as Error).message });
      })
      .then(() => {
        if (!closed) timer = setTimeout(tick, Math.max(0, intervalMs - (Date.now() - started)));
      });
  };
  timer = setTimeout(tick, 0);

  return {
    async stop() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      await running;
      await observations.stop();
      await serverFollower?.stop();
    },
    stats: () => ({ ...stats, endpoints: endpoints.size }),
  };
}

