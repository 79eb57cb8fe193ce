// The collector: learns ready endpoints from InstanceObservations, scrapes each one's /metrics
// (and /v1/models for LoRA adapters) every interval, normalizes vLLM/SGLang names into an
// EngineSample and publishes it on `mi.metrics.engine.<namespace>.<endpoint id>`.
//
// Payload: the EngineSample JSON itself, without the event envelope, published with core NATS
// (MI_METRICS still stores it): samples are high-volume, short-lived measurements and the
// gateway reads them as bare samples (data-plane/src/gateway/gateway.ts).
//
// AutoscalingPolicyBindings (MI_DESIRED) add, per bound ModelInfer, a second exposition to
// scrape (metricEndpoint, on the replica's host) and the labels a series must carry to count
// in `custom` (additionalMatchLabels); see README.md.
import type { Logger } from 'winston';
import type { ControlPlaneMetrics } from '../observability/metrics.js';
import { lagRecorder } from '../observability/record.js';
import type { NatsConnection } from '@nats-io/transport-node';
import { ENGINE_SAMPLE, STREAMS, encodeSample, metricsSubject, type EngineSample, type InstanceObservation } from '@matrixinfer/events';
import { followStream, type Follower } from '../actuator/bus.js';
import { anyMetricValues, parsePrometheusTypes, type LabelMatch, type ParsedScrape } from './any-metric.js';
import { applyBindingEvent, boundMetricsUrl, targetScrapeOf, type BindingTargets } from './bindings.js';
import { applyObservation, applyServerEvent, modelServerOf, type Endpoint, type ServerSelector } from './endpoints.js';
import { InvalidCollectorOptionError } from './errors.js';
import { procResourceSource } from './proc-reader.js';
import type { ResourceSource, ResourceTarget, ResourceUsage } from './resources.js';
import { buildEngineSample, normalizeEngineMetrics, parseAdapters, type EngineMetrics } from './normalize.js';
import { parsePrometheusText } from './prometheus.js';
import { scrapeEndpoint, scrapeMetricsText } from './scrape.js';

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
  /** Where replica CPU/memory come from: default /proc of local replicas on Linux (procResourceSource); false for none. */
  resources?: ResourceSource | false;
  /** Scrapes by result, endpoints and tail lag are recorded here (none: not recorded). */
  metrics?: ControlPlaneMetrics;
}

/** Counters since start. */
export interface CollectorStats {
  cycles: number;
  scrapes: number;
  published: number;
  scrapeFailures: number;
  /** Failed scrapes of a binding's metricEndpoint (the sample is published without its families). */
  boundScrapeFailures: number;
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
  /** Which exposition the normalized fields came from (deltas only between the same one). */
  canonicalFrom: 'engine' | 'bound';
  scrape: ParsedScrape;
  bound?: { url: string; scrape: ParsedScrape };
}

function parseScrape(text: string, timeMs: number): ParsedScrape {
  return { samples: parsePrometheusText(text), types: parsePrometheusTypes(text), timeMs };
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
  const bindings: BindingTargets = new Map();
  const previous = new Map<string, Previous>();
  const failing = new Map<string, number>();
  const resources: ResourceSource | undefined = opts.resources === false ? undefined : (opts.resources ?? (process.platform === 'linux' ? procResourceSource() : undefined));
  let resourceFailures = 0;
  const stats: CollectorStats = { cycles: 0, scrapes: 0, published: 0, scrapeFailures: 0, boundScrapeFailures: 0, unrecognized: 0, publishFailures: 0, endpoints: 0 };
  const scrapes = opts.metrics?.collectorScrapes;
  const count = { ok: scrapes?.labels('ok'), failed: scrapes?.labels('failed'), unrecognized: scrapes?.labels('unrecognized'), boundFailed: scrapes?.labels('bound-failed'), publishFailed: scrapes?.labels('publish-failed') };
  const endpointsGauge = opts.metrics?.collectorEndpoints;
  const onBad = (subject: string, err: unknown): void => {
    log.debug('ignoring a malformed event', { subject, error: (err as Error).message });
  };

  // The last observation per instance subject is its current phase: no need for older history.
  const observations: Follower = await followStream(opts.nc, STREAMS.observed, 'mi.observed.instance.>', 'last-per-subject', (e) => {
    applyObservation(endpoints, e.data as InstanceObservation);
  }, onBad, lagRecorder(opts.metrics, 'collector:mi.observed.instance.>'));
  let serverFollower: Follower | undefined;
  let bindingFollower: Follower | undefined;
  try {
    serverFollower = await followStream(opts.nc, STREAMS.desired, 'mi.desired.modelserver.>', 'last-per-subject', (e) => applyServerEvent(servers, e.type, e.data), onBad);
    bindingFollower = await followStream(opts.nc, STREAMS.desired, 'mi.desired.autoscalingpolicybinding.>', 'last-per-subject', (e) => applyBindingEvent(bindings, e.type, e.data), onBad);
  } catch (err) {
    // Without MI_DESIRED samples still flow, only with an empty modelServer and no binding's metricEndpoint.
    log.warn('cannot follow ModelServers and AutoscalingPolicyBindings; samples will have no modelServer', { error: (err as Error).message });
  }

  // A dead endpoint fails every cycle until its observation says so: warn on the first failure
  // and then once a minute-ish, not every second.
  function noteFailure(key: string, what: Record<string, unknown>, err: unknown): void {
    const n = (failing.get(key) ?? 0) + 1;
    failing.set(key, n);
    const level = n === 1 || n % 60 === 0 ? 'warn' : 'debug';
    log.log(level, 'scrape failed', { ...what, consecutiveFailures: n, error: (err as Error).message });
  }
  function noteSuccess(key: string, what: Record<string, unknown>): void {
    if (failing.delete(key)) log.info('scrape recovered', what);
  }

  async function scrapeOne(key: string, ep: Endpoint, usage: ResourceUsage | undefined): Promise<void> {
    stats.scrapes += 1;
    const bound = targetScrapeOf(bindings, ep.namespace, ep.modelInfer);
    const boundUrl = bound?.metricEndpoint === undefined ? undefined : boundMetricsUrl(ep.address, bound.metricEndpoint);
    const boundP = boundUrl === undefined ? undefined : scrapeMetricsText(boundUrl, timeoutMs).then((text) => ({ text }), (err: unknown) => ({ err }));
    let text: string;
    let models: unknown;
    try {
      ({ metricsText: text, models } = await scrapeEndpoint(ep.address, timeoutMs));
    } catch (err) {
      await boundP;
      stats.scrapeFailures += 1;
      count.failed?.inc();
      noteFailure(key, { endpoint: ep.id, address: ep.address }, err);
      return;
    }
    noteSuccess(key, { endpoint: ep.id, address: ep.address });
    const timeMs = now();
    const parsed = parseScrape(text, timeMs);
    let boundParsed: ParsedScrape | undefined;
    if (boundP !== undefined && boundUrl !== undefined) {
      const r = await boundP;
      const failKey = `${key} ${boundUrl}`;
      if ('err' in r) {
        stats.boundScrapeFailures += 1;
        count.boundFailed?.inc();
        noteFailure(failKey, { endpoint: ep.id, metricsUrl: boundUrl, binding: bound?.binding }, r.err);
      } else {
        noteSuccess(failKey, { endpoint: ep.id, metricsUrl: boundUrl });
        boundParsed = parseScrape(r.text, timeMs);
      }
    }
    // The normalized fields come from the engine's /metrics, else from the bound exposition
    // (an engine serving its metrics only on another port or path).
    let normalized = normalizeEngineMetrics(parsed.samples, timeMs);
    let canonicalFrom: Previous['canonicalFrom'] = 'engine';
    if (!normalized.valid && boundParsed !== undefined) {
      const other = normalizeEngineMetrics(boundParsed.samples, timeMs);
      if (other.valid) [normalized, canonicalFrom] = [other, 'bound'];
    }
    if (!normalized.valid) {
      stats.unrecognized += 1;
      count.unrecognized?.inc();
      log.debug('no engine metrics', { endpoint: ep.id, reason: normalized.reason });
      return;
    }
    // Deltas only against a scrape of the same process (a new address is a new process).
    const prev = previous.get(key);
    const same = prev !== undefined && prev.address === ep.address ? prev : undefined;
    const base = same?.canonicalFrom === canonicalFrom ? same.metrics : undefined;
    const prevBound = boundUrl !== undefined && same?.bound?.url === boundUrl ? same.bound : undefined;
    // A failed bound scrape keeps the last good one, so the next rate spans both intervals.
    const nextBound = boundParsed !== undefined && boundUrl !== undefined ? { url: boundUrl, scrape: boundParsed } : prevBound;
    previous.set(key, { address: ep.address, metrics: normalized.metrics, canonicalFrom, scrape: parsed, ...(nextBound ? { bound: nextBound } : {}) });
    const identity = { id: ep.id, address: ep.address, target: ep.modelInfer, modelServer: modelServerOf(servers.values(), ep) };
    const sample: EngineSample = buildEngineSample(identity, normalized.metrics, base, models === undefined ? undefined : parseAdapters(models), timeMs);
    const match: LabelMatch | undefined = bound !== undefined && Object.keys(bound.matchLabels).length > 0 ? bound.matchLabels : undefined;
    // On a name both expose, the bound exposition wins: the binding named it.
    sample.custom = { ...anyMetricValues(same?.scrape, parsed, match, ep.labels), ...(boundParsed === undefined ? {} : anyMetricValues(prevBound?.scrape, boundParsed, match, ep.labels)) };
    if (boundUrl !== undefined) sample.metricsUrl = boundUrl;
    if (usage?.cpuCores !== undefined) sample.cpuCores = usage.cpuCores;
    if (usage !== undefined) sample.memoryBytes = usage.memoryBytes;
    try {
      const subject = metricsSubject('engine', ep.namespace, ep.id);
      opts.nc.publish(subject, encodeSample(ENGINE_SAMPLE, 'collector', subject, sample));
      stats.published += 1;
      count.ok?.inc();
    } catch (err) {
      stats.publishFailures += 1;
      count.publishFailed?.inc();
      log.warn('cannot publish sample', { endpoint: ep.id, error: (err as Error).message });
    }
  }

  // A source that cannot be read costs its fields, never the samples: warn on the first failure
  // of a streak and about once a minute after, say when it is back.
  async function readResources(): Promise<Map<string, ResourceUsage>> {
    if (resources === undefined || endpoints.size === 0) return new Map();
    const targets: ResourceTarget[] = [...endpoints].map(([key, ep]) => ({ key, namespace: ep.namespace, instance: ep.id, address: ep.address, ...(ep.pid === undefined ? {} : { pid: ep.pid }) }));
    try {
      const out = await resources.read(targets, now());
      if (resourceFailures > 0) log.info('replica CPU/memory readable again', { source: resources.name });
      resourceFailures = 0;
      return out;
    } catch (err) {
      resourceFailures += 1;
      const level = resourceFailures === 1 || resourceFailures % 60 === 0 ? 'warn' : 'debug';
      log.log(level, 'cannot read replica CPU/memory; samples go without them', { source: resources.name, consecutiveFailures: resourceFailures, error: (err as Error).message, code: (err as { code?: string }).code });
      return new Map();
    }
  }

  async function cycle(): Promise<void> {
    stats.cycles += 1;
    for (const key of previous.keys()) if (!endpoints.has(key)) previous.delete(key);
    for (const key of failing.keys()) if (!endpoints.has(key.split(' ')[0])) failing.delete(key);
    stats.endpoints = endpoints.size;
    endpointsGauge?.set(endpoints.size);
    const usage = await readResources();
    await Promise.all([...endpoints].map(([key, ep]) => scrapeOne(key, ep, usage.get(key))));
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
  // The first cycle waits (a little) for the bindings and servers present at start, so the first
  // samples already read a binding's metricEndpoint (else a policy on it would read
  // unknown-metric for one tick).
  let startTimer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => (startTimer = setTimeout(resolve, timeoutMs)));
  const ready = Promise.all([observations.caughtUp, serverFollower?.caughtUp, bindingFollower?.caughtUp]);
  void Promise.race([ready, waited]).then(() => {
    clearTimeout(startTimer);
    if (!closed) timer = setTimeout(tick, 0);
  });

  return {
    async stop() {
      if (closed) return;
      closed = true;
      clearTimeout(startTimer);
      clearTimeout(timer);
      await running;
      await observations.stop();
      await serverFollower?.stop();
      await bindingFollower?.stop();
    },
    stats: () => ({ ...stats, endpoints: endpoints.size }),
  };
}

