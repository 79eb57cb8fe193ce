// What every proxied request needs from its gateway, built once per gateway (gateway.ts) and
// shared by all its exchanges.
import type { TokenCounter } from '../tokenizer/counter.js';
import type { Logger } from 'winston';
import type { Scheduler } from '../scheduler/types.js';
import type { DecisionTap } from './decisions.js';
import type { GatewayAuth } from './auth/gateway-auth.js';
import type { HoldQueue } from './hold-queue.js';
import type { IdleWatch } from './idle-watch.js';
import type { LoadBook } from './load.js';
import type { GatewayMetrics } from './metrics.js';
import type { BootstrapPorts } from './pd-legs.js';
import type { RateLimiter } from './rate-limit.js';
import type { TableHolder } from './route-watcher.js';
import type { OutlierBook } from './outliers.js';
import type { ModelStatsBook } from './stats.js';
import type { UpstreamClient } from './upstream.js';
import type { GatewayTracer } from '../tracing/tracer.js';

/** Everything a request needs from its gateway; built once per gateway. */
export interface ProxyContext {
  holder: TableHolder;
  scheduler: Scheduler;
  load: LoadBook;
  metrics: GatewayMetrics;
  limiter: RateLimiter;
  stats: ModelStatsBook;
  upstream: UpstreamClient;
  logger: Logger;
  /** Logging one line per request is skipped entirely when false (benchmarks). */
  logRequests: boolean;
  random: () => number;
  nowMs: () => number;
  maxBodyBytes: number;
  /** Holds requests of models with no ready endpoint (scale from zero); absent: 503 at once. */
  hold?: HoldQueue;
  /** Local tokenizers for input-token admission (`--tokenizer`); absent: the chars/4 estimate. */
  tokens?: TokenCounter;
  /** Explain header and sampled decision events (decisions.ts); absent: neither. */
  decisions?: DecisionTap;
  /** Passive outlier ejection of this gateway's endpoints. */
  outliers: OutlierBook;
  /** Stalled-attempt detection (stream-idle timeout). */
  idle: IdleWatch;
  /** Retries (to other endpoints) of ModelServers without a retry policy. */
  defaultRetryAttempts: number;
  /** Stream-idle timeout of ModelServers that set none (ms; 0: off). */
  streamIdleTimeoutMs: number;
  /** API keys (`--api-keys`); absent: requests need no key. */
  auth?: GatewayAuth;
  /** SGLang prefill servers' bootstrap ports (disaggregated serving). */
  bootstrapPorts: BootstrapPorts;
  /** Request tracing with OTLP export (`--otlp-endpoint`); absent: no trace objects at all. */
  tracer?: GatewayTracer;
}
