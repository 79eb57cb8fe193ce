// Public entry of @matrixinfer/data-plane.
export { startGateway, type GatewayOptions, type GatewayHandle } from './gateway/gateway.js';
export { CONFIG_KEYS as GATEWAY_CONFIG_KEYS, schedulerStatusKey, type ConfigStatus as GatewayConfigStatus } from './gateway/config-watcher.js';
export { EXPLAIN_RESPONSE_HEADER, DECISION_EVENT_TYPE } from './gateway/decisions.js';
export {
  createScheduler, createSchedulerSync, createDefaultRegistry, createRegistry, createPrefixIndex,
  parseSchedulerConfigText, DEFAULT_SCHEDULER_CONFIG, SCHEDULER_PROFILES, SCHEDULER_PROFILE_NAMES,
  SCHEDULER_CONFIG_SCHEMA, encodePlacement, decodePlacement, applyPeerPlacement, explainHeader,
  explainRecord, sampleDecision, wantsExplain, SchedulerConfigError,
  type ConfigurableScheduler, type SchedulerConfig, type PrefixIndex, type Placement,
} from './scheduler/index.js';
