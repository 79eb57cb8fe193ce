// Public entry of the gateway scheduler. Start with `await createScheduler(configOrProfile?)`.
export type * from './types.js';
export { createScheduler, createSchedulerSync } from './scheduler.js';
export type { ConfigurableScheduler, SchedulerDeps, SchedulerConfigInput } from './scheduler.js';
export type { SchedulerConfig, FilterConfig, ScorerConfig, PickerConfig, ConfigValidator } from './config.js';
export { SCHEDULER_CONFIG_SCHEMA, createConfigValidator, parseSchedulerConfigText } from './config.js';
export { DEFAULT_SCHEDULER_CONFIG, SCHEDULER_PROFILES, SCHEDULER_PROFILE_NAMES } from './profiles.js';
export { createRegistry } from './registry.js';
export type { PluginRegistry, PluginSpec, PluginContext, PluginKind } from './registry.js';
export { createDefaultRegistry } from './builtins.js';
export { createHasher } from './hasher.js';
export type { Hasher } from './hasher.js';
export { createPrefixIndex, DEFAULT_CAPACITY_BLOCKS } from './prefix-index.js';
export type { PrefixIndex, Placement, PrefixIndexOptions, RecordOptions } from './prefix-index.js';
export { SchedulerError, SchedulerConfigError, PluginRegistrationError, PlacementDecodeError } from './errors.js';
export { explainHeader, explainRecord, sampleDecision, wantsExplain, EXPLAIN_HEADER_MAX_LENGTH } from './explain.js';
export type { DecisionRecord } from './explain.js';
export { encodePlacement, decodePlacement, applyPeerPlacement } from './placement.js';
export type { PlacementMessage } from './placement.js';
