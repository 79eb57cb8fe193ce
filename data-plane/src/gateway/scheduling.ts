// The gateway's scheduler wiring, composed once per replica: the scheduler (with the per-plugin
// histogram and a prefix index shared with peers), live configuration from mi-config, explain
// and sampled decisions, and peer sharing of placements and in-flight counts.
import type { Registry } from 'prom-client';
import type { Logger } from 'winston';
import { createPrefixIndex, createScheduler, type ConfigurableScheduler, type Scheduler, type SchedulerConfigInput } from '../scheduler/index.js';
import { ConfigWatcher } from './config-watcher.js';
import { DecisionTap, DEFAULT_DECISION_SAMPLE_RATE, isSampleRate } from './decisions.js';
import type { LoadBook } from './load.js';
import type { NatsConnection } from './nats.js';
import { PeerSync } from './peer-sync.js';
import type { RouteTable } from './route-table.js';
import type { TableHolder } from './route-watcher.js';
import { SchedulerMetrics } from './scheduler-metrics.js';

export interface SchedulingOptions {
  nc: NatsConnection;
  gateway: string;
  logger: Logger;
  registry: Registry;
  holder: TableHolder;
  load: LoadBook;
  /** A ready-made scheduler; then plugin timing and publishing local placements are the caller's. */
  scheduler?: Scheduler;
  /** Start-up config or profile name (also what a deleted `scheduler` key returns to). Default `default`. */
  schedulerConfig?: SchedulerConfigInput;
  /** Share of decisions published, in [0,1]. Default 0.01. */
  decisionSampleRate?: number;
  /** Bucket of live configuration; `false` turns the watch off. Default mi-config. */
  configBucket?: string | false;
  /** Share placements and in-flight counts with peer replicas. Default true. */
  share?: boolean;
  /** Period of in-flight publishing to peers. Default 200 ms. */
  inflightPeriodMs?: number;
  /** Plugin times are observed on 1 request in this many. Default PLUGIN_TIME_EVERY. */
  pluginTimeEvery?: number;
}

/** What the gateway holds of its scheduler wiring. */
export interface Scheduling {
  scheduler: Scheduler;
  decisions: DecisionTap;
  /** Call after each routing-table swap: forgets departed endpoints' placements. */
  onSwap(table: RouteTable): void;
  /** /debug/scheduler. */
  debug(): unknown;
  close(): void;
}

function isConfigurable(s: Scheduler): s is ConfigurableScheduler {
  const c = s as Partial<ConfigurableScheduler>;
  return typeof c.reconfigure === 'function' && typeof c.config === 'function' && c.prefixIndex !== undefined;
}

function endpointIds(table: RouteTable): Set<string> {
  const ids = new Set<string>();
  for (const { entry } of table.entries.values()) for (const s of Object.values(entry.servers)) for (const ep of s.endpoints) ids.add(ep.id);
  return ids;
}

/** Plugin times feed the histogram from 1 request in this many (timing every request costs 10 clock reads and 5 histogram updates). */
export const PLUGIN_TIME_EVERY = 16;

/** Builds the scheduler wiring of one replica (throws SchedulerConfigError on a bad start-up config). */
export async function startScheduling(o: SchedulingOptions): Promise<Scheduling> {
  const rate = o.decisionSampleRate ?? DEFAULT_DECISION_SAMPLE_RATE;
  if (!isSampleRate(rate)) throw new RangeError(`decision sample rate must be a number in [0,1], got ${rate}`);
  const metrics = new SchedulerMetrics(o.registry);
  const peers = o.share === false ? null : new PeerSync({ nc: o.nc, gateway: o.gateway, load: o.load, holder: o.holder, metrics, logger: o.logger, periodMs: o.inflightPeriodMs });
  const scheduler: Scheduler =
    o.scheduler ??
    (await createScheduler(o.schedulerConfig ?? 'default', {
      prefixIndex: peers ? createPrefixIndex({ onPlacement: peers.onPlacement }) : undefined,
      onPluginTime: metrics.onPluginTime,
      timeEvery: o.pluginTimeEvery ?? PLUGIN_TIME_EVERY,
    }));
  const configurable = isConfigurable(scheduler) ? scheduler : null;
  if (peers && configurable) peers.start(configurable.prefixIndex);
  const decisions = new DecisionTap({ nc: o.nc, gateway: o.gateway, metrics, logger: o.logger, sampleRate: rate });
  const watcher =
    o.configBucket === false
      ? null
      : new ConfigWatcher({
          nc: o.nc,
          gateway: o.gateway,
          logger: o.logger,
          metrics,
          scheduler: configurable,
          fallback: configurable?.config() ?? 'default',
          decisions,
          fallbackSampleRate: rate,
          bucket: o.configBucket,
        });
  watcher?.start();

  return {
    scheduler,
    decisions,
    onSwap(table) {
      configurable?.prefixIndex.retain(endpointIds(table));
    },
    debug() {
      const prefixBlocks: Record<string, number> = {};
      if (configurable) for (const id of endpointIds(o.holder.table)) prefixBlocks[id] = configurable.prefixIndex.size(id);
      return {
        config: configurable?.config() ?? null,
        configStatus: watcher ? Object.fromEntries(watcher.last) : null,
        decisionSampleRate: decisions.sampleRate,
        sharing: peers !== null && configurable !== null,
        peers: peers?.peers() ?? {},
        prefixBlocks,
      };
    },
    close() {
      watcher?.stop();
      peers?.stop();
    },
  };
}
