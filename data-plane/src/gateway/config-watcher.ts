// Live configuration of a gateway replica from the `mi-config` bucket: key `scheduler` holds a
// scheduler config (YAML/JSON) or a profile name, key `gateway.decisionSampleRate` a number in
// [0,1]. A valid value is applied at once (every replica watches the same keys); a bad one is
// rejected with the SchedulerConfigError message, the config in force stays, and the outcome is
// reported under `scheduler.status.<gateway>` and on `mi.decisions.gateway.<gateway>.config`.
import { BUCKETS, decisionSubject, encodeEvent, makeEvent } from '@matrixinfer/events';
import type { Logger } from 'winston';
import { parseSchedulerConfigText, SchedulerConfigError, type ConfigurableScheduler, type SchedulerConfigInput } from '../scheduler/index.js';
import { isSampleRate, type DecisionTap } from './decisions.js';
import { KvFollower } from './kv-follower.js';
import type { KV, KvWatchEntry, NatsConnection } from './nats.js';
import type { SchedulerMetrics } from './scheduler-metrics.js';

/** Keys of `mi-config` a gateway follows. */
export const CONFIG_KEYS = {
  scheduler: 'scheduler',
  decisionSampleRate: 'gateway.decisionSampleRate',
} as const;

/** Key under which a replica reports the outcome of the last scheduler config it read. */
export function schedulerStatusKey(gateway: string): string {
  return `scheduler.status.${gateway}`;
}

/** What a replica reports about a configuration value. */
export interface ConfigStatus {
  gateway: string;
  key: string;
  /** KV revision of the value (0 for the start-up config after a delete). */
  revision: number;
  result: 'applied' | 'rejected';
  /** SchedulerConfigError code and message, and its problems, when rejected. */
  code?: string;
  error?: string;
  problems?: string[];
  timeMs: number;
}

/**
 * Applies one scheduler config document to `scheduler` (pure apart from the scheduler): on a
 * bad document the old config stays and the error is returned, never thrown. A deleted key
 * (`text === null`) goes back to `fallback`, the replica's start-up config.
 */
export function applySchedulerValue(
  scheduler: ConfigurableScheduler,
  text: string | null,
  fallback: SchedulerConfigInput,
): { ok: true } | { ok: false; error: SchedulerConfigError } {
  try {
    scheduler.reconfigure(text === null ? fallback : parseSchedulerConfigText(text));
    return { ok: true };
  } catch (err) {
    if (err instanceof SchedulerConfigError) return { ok: false, error: err };
    return { ok: false, error: new SchedulerConfigError([`could not apply: ${(err as Error).message}`], { cause: err }) };
  }
}

/** Parses a sample-rate value; null when it is not a number in [0,1]. */
export function parseSampleRate(text: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  const n = Number(t);
  return isSampleRate(n) ? n : null;
}

export interface ConfigWatcherOptions {
  nc: NatsConnection;
  gateway: string;
  logger: Logger;
  metrics: SchedulerMetrics;
  /** Null when the gateway was given a scheduler that cannot be reconfigured. */
  scheduler: ConfigurableScheduler | null;
  /** Config restored when the `scheduler` key is deleted. */
  fallback: SchedulerConfigInput;
  decisions: DecisionTap;
  /** Rate restored when the sample-rate key is deleted. */
  fallbackSampleRate: number;
  /** Default mi-config. */
  bucket?: string;
  /** Retry delay while the bucket is missing or the watch failed. Default 1000 ms. */
  retryMs?: number;
}

/** Watches mi-config until stop(); re-watches after a reconnect, skipping values already applied. */
export class ConfigWatcher {
  private readonly opts: ConfigWatcherOptions;
  private readonly applied = new Map<string, number>();
  private readonly follower: KvFollower;
  private kv: KV | null = null;
  /** Last outcome per key (debug endpoint, tests). */
  readonly last = new Map<string, ConfigStatus>();

  constructor(opts: ConfigWatcherOptions) {
    this.opts = opts;
    this.follower = new KvFollower({
      nc: opts.nc,
      bucket: opts.bucket ?? BUCKETS.config,
      logger: opts.logger,
      retryMs: opts.retryMs ?? 1000,
      // Always the last values: `applied` skips what a previous watch already applied.
      fromRevision: () => 0,
      onWatch: ({ kv }) => {
        this.kv = kv;
        return (e) => this.onEntry(e);
      },
    });
  }

  /** Starts watching and follows reconnects. */
  start(): void {
    this.follower.start();
  }

  /** Stops watching; the config in force stays. */
  stop(): void {
    this.follower.stop();
  }

  private onEntry(e: KvWatchEntry): void {
    if (e.key !== CONFIG_KEYS.scheduler && e.key !== CONFIG_KEYS.decisionSampleRate) return;
    // After a re-watch the last values come again: what was applied is not applied twice.
    if ((this.applied.get(e.key) ?? 0) >= e.revision) return;
    this.applied.set(e.key, e.revision);
    const text = e.operation === 'PUT' ? e.string() : null;
    if (e.key === CONFIG_KEYS.scheduler) this.onScheduler(text, e.revision);
    else this.onSampleRate(text, e.revision);
  }

  private onScheduler(text: string | null, revision: number): void {
    const { scheduler, logger, metrics } = this.opts;
    if (scheduler === null) {
      logger.warn('mi-config scheduler ignored: this gateway runs a fixed scheduler', { revision });
      return;
    }
    const out = applySchedulerValue(scheduler, text, this.opts.fallback);
    if (out.ok) {
      metrics.configUpdate('applied');
      logger.info('scheduler config applied', { revision, deleted: text === null, scorers: scheduler.config().scorers.map((s) => `${s.name}:${s.weight}`).join(',') });
      this.report({ key: CONFIG_KEYS.scheduler, revision, result: 'applied' });
    } else {
      metrics.configUpdate('rejected');
      logger.error('scheduler config rejected; the previous one stays in force', { revision, code: out.error.code, error: out.error.message });
      this.report({ key: CONFIG_KEYS.scheduler, revision, result: 'rejected', code: out.error.code, error: out.error.message, problems: [...out.error.problems] });
    }
  }

  private onSampleRate(text: string | null, revision: number): void {
    const { decisions, logger, metrics } = this.opts;
    const rate = text === null ? this.opts.fallbackSampleRate : parseSampleRate(text);
    if (rate === null) {
      metrics.configUpdate('rejected');
      const error = `${CONFIG_KEYS.decisionSampleRate} must be a number in [0,1], got ${JSON.stringify(text)}`;
      logger.error('decision sample rate rejected; the previous one stays in force', { revision, error });
      this.report({ key: CONFIG_KEYS.decisionSampleRate, revision, result: 'rejected', code: 'MI_ERR_SCHEDULER_CONFIG', error });
      return;
    }
    decisions.sampleRate = rate;
    metrics.configUpdate('applied');
    logger.info('decision sample rate applied', { revision, rate });
    this.report({ key: CONFIG_KEYS.decisionSampleRate, revision, result: 'applied' });
  }

  private report(s: Omit<ConfigStatus, 'gateway' | 'timeMs'>): void {
    const status: ConfigStatus = { gateway: this.opts.gateway, timeMs: Date.now(), ...s };
    this.last.set(s.key, status);
    const { nc, gateway, logger } = this.opts;
    if (nc.isClosed()) return;
    try {
      const subject = decisionSubject('gateway', gateway, 'config');
      nc.publish(subject, encodeEvent(makeEvent(`gateway.config.${s.result}`, `gateway/${gateway}`, subject, status)));
    } catch (err) {
      logger.warn('config outcome not published', { error: (err as Error).message });
    }
    // Status keys are outside the watched keys, so writing one does not come back as a change.
    this.kv?.put(schedulerStatusKey(gateway), JSON.stringify(status)).catch((err: unknown) => {
      logger.warn('config status not written', { error: (err as Error).message });
    });
  }
}
