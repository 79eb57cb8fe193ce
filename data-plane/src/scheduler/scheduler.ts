// The gateway's handle: a validated, live-reconfigurable scheduler. Long-lived state (the prefix
// index, the hasher) is created once and survives reconfiguration; plugins are rebuilt.
import { createDefaultRegistry } from './builtins.js';
import { createConfigValidator, type SchedulerConfig } from './config.js';
import { buildPipeline, placeByPipeline, runPipeline, type Pipeline, type RunOptions } from './engine.js';
import { SchedulerConfigError } from './errors.js';
import { createHasher, type Hasher } from './hasher.js';
import { createPrefixIndex, type PrefixIndex } from './prefix-index.js';
import { SCHEDULER_PROFILES, DEFAULT_SCHEDULER_CONFIG } from './profiles.js';
import type { PluginContext, PluginRegistry } from './registry.js';
import type { EndpointView, Outcome, ScheduleOrder, RequestInfo, ScheduleResult, Scheduler } from './types.js';

export interface SchedulerDeps extends RunOptions {
  /** Plugins available to configs; createDefaultRegistry() when omitted. */
  registry?: PluginRegistry;
  /** Wall clock in ms; Date.now when omitted. */
  now?: () => number;
  /** Shared prefix index (e.g. one wired to peers over NATS); a fresh one when omitted. */
  prefixIndex?: PrefixIndex;
  /** 64-bit hasher; xxhash-wasm when omitted (the async factory initialises it). */
  hasher?: Hasher;
  /**
   * Plugin times are taken on 1 request in this many (default 1: every request). Timing costs
   * two clock reads and a histogram update per plugin, a sizeable share of a fast pipeline;
   * a sample of requests gives the same distribution.
   */
  timeEvery?: number;
}

/** A config object, or the name of a profile in SCHEDULER_PROFILES. */
export type SchedulerConfigInput = SchedulerConfig | string | unknown;

/** A Scheduler whose configuration can be replaced live. */
export interface ConfigurableScheduler extends Scheduler {
  /** Validates and applies a new config; on error throws SchedulerConfigError and keeps the old. */
  reconfigure(config: SchedulerConfigInput): void;
  /** The config in force (a copy). */
  config(): SchedulerConfig;
  /** The prefix index plugins use (feed peers' placements into it). */
  readonly prefixIndex: PrefixIndex;
}

function resolveProfile(input: SchedulerConfigInput): unknown {
  if (typeof input !== 'string') return input;
  const profile = SCHEDULER_PROFILES[input];
  if (!profile) {
    throw new SchedulerConfigError([`unknown profile "${input}" (known: ${Object.keys(SCHEDULER_PROFILES).join(', ')})`]);
  }
  return profile;
}

/** Builds a scheduler synchronously when a hasher is supplied (tests, or after createHasher()). */
export function createSchedulerSync(
  config: SchedulerConfigInput | undefined,
  deps: SchedulerDeps & { hasher: Hasher },
): ConfigurableScheduler {
  const registry = deps.registry ?? createDefaultRegistry();
  const validator = createConfigValidator(registry);
  const prefixIndex = deps.prefixIndex ?? createPrefixIndex({ nowMs: deps.now });
  const ctx: PluginContext = { hasher: deps.hasher, prefixIndex, nowMs: deps.now ?? Date.now };
  const timedOpts: RunOptions = { onPluginTime: deps.onPluginTime, clockSeconds: deps.clockSeconds };
  const untimedOpts: RunOptions = {};
  const timeEvery = deps.timeEvery ?? 1;
  if (!Number.isInteger(timeEvery) || timeEvery < 1) throw new RangeError(`timeEvery must be an integer >= 1, got ${timeEvery}`);
  // Counts down to the next timed request (the first request is timed).
  let untilTimed = 0;

  let current: SchedulerConfig = validator.validate(resolveProfile(config ?? DEFAULT_SCHEDULER_CONFIG));
  let pipeline: Pipeline = buildPipeline(current, registry, ctx);

  // Options of the next request: timed on 1 request in timeEvery.
  const nextOpts = (): RunOptions => {
    if (untilTimed > 0) {
      untilTimed--;
      return untimedOpts;
    }
    untilTimed = timeEvery - 1;
    return timedOpts;
  };

  return {
    prefixIndex,
    schedule(req: RequestInfo, endpoints: readonly EndpointView[]): ScheduleResult {
      return runPipeline(pipeline, req, endpoints, nextOpts());
    },
    place(req: RequestInfo, endpoints: readonly EndpointView[]): ScheduleOrder {
      return placeByPipeline(pipeline, req, endpoints, nextOpts());
    },
    observe(req: RequestInfo, endpoint: EndpointView, outcome: Outcome): void {
      for (const { plugin } of pipeline.scorers) plugin.observe?.(req, endpoint, outcome);
    },
    reconfigure(next: SchedulerConfigInput): void {
      const validated = validator.validate(resolveProfile(next));
      const built = buildPipeline(validated, registry, ctx);
      current = validated;
      pipeline = built;
    },
    config: () => structuredClone(current),
  };
}

/**
 * Creates the gateway's scheduler: `await createScheduler()` gives the default profile;
 * pass a config object or a profile name. Throws SchedulerConfigError on a bad config.
 */
export async function createScheduler(
  config?: SchedulerConfigInput,
  deps: SchedulerDeps = {},
): Promise<ConfigurableScheduler> {
  const hasher = deps.hasher ?? (await createHasher());
  return createSchedulerSync(config, { ...deps, hasher });
}
