// Composition of one gateway replica: NATS connection, routing-table watch, engine-sample
// subscription, per-second GatewaySample publishing, and the HTTP server. Programmatic entry
// (`startGateway`) used by main.ts, `mi up` and tests.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { GATEWAY_SAMPLE, decodeSample, encodeSample, metricsSubject, type EngineSample, type GatewaySample } from '@matrixinfer/events';
import type { Scheduler, SchedulerConfigInput } from '../scheduler/index.js';
import { debugEndpoints, debugRoutes, modelList, sendJson } from './admin.js';
import { onClientError } from './client-error.js';
import { randomUUID } from 'node:crypto';
import { errorBody, GatewayError, pathNotFound, sendGatewayError } from './errors.js';
import { GatewayAuth } from './auth/gateway-auth.js';
import { Exchange } from './exchange.js';
import { startTokenCounter } from '../tokenizer/counter.js';
import type { TokenizerSpec } from '../tokenizer/specs.js';
import type { ProxyContext } from './proxy-context.js';
import { HoldQueue } from './hold-queue.js';
import { IdleWatch } from './idle-watch.js';
import { LoadBook } from './load.js';
import { createGatewayLogger, type LogLevel } from './log.js';
import { GatewayMetrics } from './metrics.js';
import { connectGatewayNats, type NatsConnection } from './nats.js';
import { OutlierBook } from './outliers.js';
import { RateLimiter } from './rate-limit.js';
import { EMPTY_TABLE, type RouteTable } from './route-table.js';
import { RouteWatcher, type TableHolder } from './route-watcher.js';
import { seededRandom } from './rng.js';
import { startScheduling } from './scheduling.js';
import { ModelStatsBook } from './stats.js';
import { createUpstream, type UpstreamKind } from './upstream.js';
import { BootstrapPorts } from './pd-legs.js';
import { RateShare } from './rate-share.js';
import { startTracing, type Tracing } from '../tracing/index.js';

/** Options of one gateway replica; every one has a default. */
export interface GatewayOptions {
  /** HTTP port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Listen address. Default 127.0.0.1. */
  host?: string;
  /** Serve HTTPS with this PEM certificate chain and key instead of HTTP (the same handler). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Default env NATS_URL, else `nats://127.0.0.1:4222`. */
  natsUrl?: string;
  /** Replica name (NATS connection name, GatewaySample.gateway, logs). Default `gateway-<pid>`. */
  name?: string;
  logLevel?: LogLevel;
  /**
   * A ready-made endpoint scheduler. Default: one built from `schedulerConfig`, with the
   * per-plugin histogram and placements shared with peers (scheduling.ts).
   */
  scheduler?: Scheduler;
  /** Start-up scheduler config or profile name (live updates: mi-config key `scheduler`). Default `default`. */
  schedulerConfig?: SchedulerConfigInput;
  /** Share of scheduling decisions published on mi.decisions.gateway.<ns>.<model>. Default 0.01. */
  decisionSampleRate?: number;
  /** Live configuration bucket; `false` turns the watch off. Default `mi-config`. */
  configBucket?: string | false;
  /** Share prefix placements and in-flight counts with peer replicas over NATS. Default true. */
  sharePeers?: boolean;
  /** Period of in-flight publishing to peers in ms. Default 200. */
  inflightPeriodMs?: number;
  /** Scheduler plugin times are observed on 1 request in this many. Default PLUGIN_TIME_EVERY (16). */
  pluginTimeEvery?: number;
  /** Period of sharing global rate-limit consumption with peers in ms. Default 100. */
  rateSharePeriodMs?: number;
  /** Seed of the generator used for weighted splits and tie-breaks. Default: time-based. */
  seed?: number;
  /** Request body cap in bytes (413 beyond). Default 4 MiB. */
  maxBodyBytes?: number;
  /** Upstream HTTP client. Default `undici` (see README.md for the measurement). */
  upstream?: UpstreamKind;
  /** Period of GatewaySample publishing in ms. Default 1000. */
  samplePeriodMs?: number;
  /** Routing bucket name. Default `mi-routes`. */
  bucket?: string;
  /** Called after every routing-table swap. */
  onSwap?: (table: RouteTable) => void;
  /**
   * Longest wait (ms) of a request whose model has no ready endpoint, held for scale from zero
   * (hold-queue.ts). Default 60000; 0 turns holding off (503 at once).
   */
  holdTimeoutMs?: number;
  /** Requests held per model at most; more get 503 at once. Default 256. */
  maxHeldPerModel?: number;
  /**
   * Stream-idle timeout (ms) of ModelServers that set no `trafficPolicy.streamIdleTimeout`:
   * an attempt with no byte from the engine for this long is ended. Default 30000; 0: off.
   */
  streamIdleTimeoutMs?: number;
  /**
   * Retries of ModelServers without `trafficPolicy.retry`, each to another endpoint (so at most
   * endpoints - 1). Default 2; 0: no failover without a policy.
   */
  defaultRetryAttempts?: number;
  /**
   * Longest time (ms) for a client to send the request headers; slower connections get a 408
   * and are closed (slowloris). Default 60000.
   */
  headersTimeoutMs?: number;
  /** Longest time (ms) to receive a whole request, body included (408 beyond). Default 0: no limit. */
  requestTimeoutMs?: number;
  /** Local tokenizers (`--tokenizer NAME=DIR`): input-token limits of these models admit on their count. */
  tokenizers?: TokenizerSpec[];
  /**
   * API key file (`mi.apikeys/v1`, docs/security.md), followed live; absent: the OpenAI endpoints
   * need no key. An unreadable or invalid file fails the start.
   */
  apiKeysFile?: string;
  /** Re-read period of the key file besides change events (ms). Default 30000. */
  keyFilePeriodMs?: number;
  /**
   * Bearer token of /debug/* (and /metrics with protectMetrics). Without it (and without an
   * admin key) /debug/* is open on a loopback listener and off (404) on any other.
   */
  adminToken?: string;
  /**
   * Without an admin credential, /debug/* is open when the gateway listens on a loopback address.
   * Default true; false when a local reverse proxy publishes the loopback listener.
   */
  openDebugOnLoopback?: boolean;
  /** /metrics needs the admin credential too. Default false: open, as Prometheus scrapes it. */
  protectMetrics?: boolean;
  /**
   * OTLP/HTTP traces URL (`--otlp-endpoint`, used as it is; see tracing/endpoint.ts for the
   * OTEL_EXPORTER_OTLP_* rules main.ts applies). Absent: no tracing objects at all.
   */
  otlpTracesUrl?: string;
  /** Export period of spans in ms. Default 1000. */
  otlpExportPeriodMs?: number;
  /** Requests held for export at most (more are dropped and their spans counted). Default 4096. */
  otlpMaxQueue?: number;
  /** Share of requests without a sampled caller traceparent that start a trace. Default 1. */
  otlpSampleRate?: number;
}

/** A running gateway. */
export interface GatewayHandle {
  url: string;
  port: number;
  name: string;
  /** Resolves once the initial routing table is loaded (what /readyz reports). */
  ready: Promise<void>;
  /** The table held now (tests, debug). */
  table(): RouteTable;
  /** Stops serving, closes upstream pools and the NATS connection. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY = 4 * 1024 * 1024;
const DEFAULT_HOLD_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_HELD = 256;
const DEFAULT_STREAM_IDLE_MS = 30_000;
const DEFAULT_RETRY_ATTEMPTS = 2;
/** Retry-After of the "model is starting" 503s: a replica usually needs seconds, not minutes. */
const HOLD_RETRY_AFTER_S = 5;
const SAMPLE_MAX_AGE_MS = 30_000;
const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;

/** How often Node checks the header/request timeouts: a quarter of the shortest, at most Node's 30 s. */
function checkEveryMs(headersMs: number, requestMs: number): number {
  const shortest = requestMs > 0 ? Math.min(headersMs, requestMs) : headersMs;
  return Math.max(50, Math.min(30_000, Math.floor(shortest / 4)));
}

function endpointIdsOf(table: RouteTable): Set<string> {
  const out = new Set<string>();
  for (const { entry } of table.entries.values()) for (const s of Object.values(entry.servers)) for (const ep of s.endpoints) out.add(ep.id);
  return out;
}

function addressesOf(table: RouteTable): Set<string> {
  const out = new Set<string>();
  for (const { entry } of table.entries.values()) for (const s of Object.values(entry.servers)) for (const ep of s.endpoints) out.add(ep.address);
  return out;
}

/** Starts one gateway replica and resolves once it listens (not necessarily ready). */
export async function startGateway(options: GatewayOptions = {}): Promise<GatewayHandle> {
  const name = options.name ?? `gateway-${process.pid}`;
  // Bad options fail before anything is opened.
  const holdTimeoutMs = options.holdTimeoutMs ?? DEFAULT_HOLD_TIMEOUT_MS;
  if (!(holdTimeoutMs >= 0)) throw new RangeError(`holdTimeoutMs must be >= 0, got ${holdTimeoutMs}`);
  const maxHeld = options.maxHeldPerModel ?? DEFAULT_MAX_HELD;
  if (!Number.isInteger(maxHeld) || maxHeld < 1) throw new RangeError(`maxHeldPerModel must be an integer >= 1, got ${maxHeld}`);
  const streamIdleTimeoutMs = options.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_MS;
  if (!(streamIdleTimeoutMs >= 0)) throw new RangeError(`streamIdleTimeoutMs must be >= 0, got ${streamIdleTimeoutMs}`);
  const defaultRetryAttempts = options.defaultRetryAttempts ?? DEFAULT_RETRY_ATTEMPTS;
  if (!Number.isInteger(defaultRetryAttempts) || defaultRetryAttempts < 0) throw new RangeError(`defaultRetryAttempts must be an integer >= 0, got ${defaultRetryAttempts}`);
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  if (!(headersTimeout > 0)) throw new RangeError(`headersTimeoutMs must be > 0, got ${headersTimeout}`);
  const requestTimeout = options.requestTimeoutMs ?? 0;
  if (!(requestTimeout >= 0)) throw new RangeError(`requestTimeoutMs must be >= 0, got ${requestTimeout}`);
  const logger = createGatewayLogger(options.logLevel ?? 'info', name);
  const metrics = new GatewayMetrics(true);
  const host = options.host ?? '127.0.0.1';
  // A bad key file or exporter option fails the start before anything is opened.
  const auth = new GatewayAuth({ apiKeysFile: options.apiKeysFile, adminToken: options.adminToken, host, openDebugOnLoopback: options.openDebugOnLoopback, logger, registry: metrics.registry, nowMs: Date.now, keyFilePeriodMs: options.keyFilePeriodMs });
  let tracing: Tracing | undefined;
  try {
    tracing =
      options.otlpTracesUrl !== undefined
        ? startTracing({ url: options.otlpTracesUrl, gateway: name, registry: metrics.registry, logger, periodMs: options.otlpExportPeriodMs, maxQueue: options.otlpMaxQueue, sampleRate: options.otlpSampleRate })
        : undefined;
  } catch (err) {
    auth.close();
    throw err;
  }
  const nc: NatsConnection = await connectGatewayNats(options.natsUrl, name, logger).catch(async (err: unknown) => {
    auth.close();
    await tracing?.close();
    throw err;
  });
  const holder: TableHolder = { table: EMPTY_TABLE, ready: false };
  const load = new LoadBook();
  const limiter = new RateLimiter();
  const stats = new ModelStatsBook();
  const scheduling = await startScheduling({
    nc, gateway: name, logger, registry: metrics.registry, holder, load,
    scheduler: options.scheduler, schedulerConfig: options.schedulerConfig, decisionSampleRate: options.decisionSampleRate,
    configBucket: options.configBucket, share: options.sharePeers, inflightPeriodMs: options.inflightPeriodMs, pluginTimeEvery: options.pluginTimeEvery,
  }).catch(async (err: unknown) => {
    auth.close();
    await nc.close();
    throw err;
  });
  const upstream = createUpstream(options.upstream ?? 'undici');
  const rateShare = new RateShare({ nc, gateway: name, limiter, holder, logger, nowMs: Date.now, periodMs: options.rateSharePeriodMs });
  // Per-key limits are one budget for all replicas, as global model limits are (off with sharePeers: false).
  if (options.sharePeers !== false) auth.shareWithPeers(nc, name, options.rateSharePeriodMs);
  const bootstrapPorts = new BootstrapPorts();
  const outliers = new OutlierBook();
  const idle = new IdleWatch(Date.now);
  const ctx: ProxyContext = {
    bootstrapPorts,
    outliers,
    idle,
    streamIdleTimeoutMs,
    defaultRetryAttempts,
    holder,
    scheduler: scheduling.scheduler,
    decisions: scheduling.decisions,
    load,
    metrics,
    limiter,
    stats,
    upstream,
    logger,
    logRequests: logger.isInfoEnabled() && options.logLevel !== 'off',
    random: seededRandom(options.seed ?? Date.now()),
    nowMs: Date.now,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY,
    ...(auth.enabled ? { auth } : {}),
    tracer: tracing?.tracer,
  };
  const publishSample = (namespace: string, sample: GatewaySample): void => {
    try {
      const subject = metricsSubject('gateway', namespace, sample.model);
      nc.publish(subject, encodeSample(GATEWAY_SAMPLE, `gateway/${sample.gateway}`, subject, sample));
    } catch {
      // Model names that are not subject tokens cannot be published; the projector rejects them anyway.
    }
  };
  const hold =
    holdTimeoutMs > 0
      ? new HoldQueue({
          timeoutMs: holdTimeoutMs,
          maxPerModel: maxHeld,
          retryAfterS: HOLD_RETRY_AFTER_S,
          nowMs: Date.now,
          registry: metrics.registry,
          // Demand is signalled at once, not at the next periodic sample: the autoscaler wakes the model now.
          onDemand: (model, namespace, held) => {
            if (nc.isClosed()) return;
            const timeMs = Date.now();
            publishSample(namespace, { gateway: name, model, timeMs, inFlight: stats.inFlightOf(model), requestsPerSecond: 0, inputTokensPerSecond: 0, outputTokensPerSecond: 0, held });
            logger.info('holding requests of a model with no ready endpoint', { model, namespace, timeoutMs: holdTimeoutMs });
          },
        })
      : undefined;
  ctx.hold = hold;
  // Loads in a worker thread in the background; until then the estimate is used.
  if (options.tokenizers && options.tokenizers.length > 0) ctx.tokens = startTokenCounter({ specs: options.tokenizers, logger });

  const watcher = new RouteWatcher({
    nc,
    holder,
    logger,
    bucket: options.bucket,
    onSwap: (table) => {
      const addresses = addressesOf(table);
      upstream.retain(addresses);
      bootstrapPorts.retain(addresses);
      outliers.retain(endpointIdsOf(table));
      limiter.retain((m) => table.entries.has(m));
      scheduling.onSwap(table);
      hold?.onTable(table);
      options.onSwap?.(table);
    },
  });
  watcher.start();

  const sub = nc.subscribe('mi.metrics.engine.>', {
    callback: (err, msg) => {
      if (err) return;
      // A message that is not a sample is someone else's bug; routing must not care.
      const sample = decodeSample<EngineSample>(msg.string());
      if (sample !== null) load.recordSample(sample, Date.now());
    },
  });

  const period = options.samplePeriodMs ?? 1000;
  const publisher = setInterval(() => {
    const now = Date.now();
    load.prune(now, SAMPLE_MAX_AGE_MS);
    if (nc.isClosed()) return;
    for (const { namespace, sample } of stats.drain(name, now, period)) {
      // Held requests keep signalling demand every period until they are released or expire.
      if (hold) sample.held = hold.heldOf(sample.model);
      publishSample(namespace, sample);
    }
  }, period);
  publisher.unref();

  const refuse = (req: IncomingMessage, res: ServerResponse, err: GatewayError): void => {
    const given = req.headers['x-request-id'];
    sendGatewayError(res, err, typeof given === 'string' && given.length > 0 && given.length <= 200 ? given : randomUUID());
  };
  const protectMetrics = options.protectMetrics === true;
  // Admin endpoints: served, 401, or 404 as if absent (off on a public listener without a credential).
  const adminRefused = (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    const access = auth.admin(req);
    if (access === 'allow') return false;
    refuse(req, res, access === 'off' ? pathNotFound(path) : auth.adminError());
    return true;
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (req.method === 'POST' && (path === '/v1/chat/completions' || path === '/v1/completions')) {
      // Refused before the body is read: no key, no work.
      const key = ctx.auth === undefined ? null : ctx.auth.keyOf(req);
      if (key instanceof GatewayError) {
        // Node drains an unread body to keep the connection; past the body cap (or unsized) it closes instead.
        if (!(Number(req.headers['content-length']) <= ctx.maxBodyBytes)) res.shouldKeepAlive = false;
        return refuse(req, res, key);
      }
      // The key is the gateway's credential: it never travels to an engine (every upstream leg,
      // retries and PD prefill included, copies these headers).
      if (key !== null) delete req.headers.authorization;
      const exchange = new Exchange(ctx, req, res, path);
      exchange.apiKey = key;
      exchange.start();
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (path.startsWith('/debug/') && adminRefused(req, res, path)) return;
      switch (path) {
        case '/v1/models': {
          const key = auth.keyOf(req);
          if (key instanceof GatewayError) return refuse(req, res, key);
          return sendJson(res, 200, modelList(holder.table, key === null ? undefined : key.allows));
        }
        case '/healthz':
          // The replica's name tells an operator (and a test) which gateway process answered.
          return sendJson(res, 200, { status: 'ok', gateway: name });
        case '/readyz':
          return holder.ready
            ? sendJson(res, 200, { status: 'ready', entries: holder.table.entries.size, revision: holder.table.revision })
            : sendJson(res, 503, { status: 'loading routing table' });
        case '/metrics':
          if (protectMetrics && adminRefused(req, res, path)) return;
          void metrics.registry.metrics().then((text) => {
            res.writeHead(200, { 'content-type': metrics.registry.contentType });
            res.end(text);
          });
          return;
        case '/debug/routes':
          return sendJson(res, 200, debugRoutes(holder.table));
        case '/debug/scheduler':
          return sendJson(res, 200, scheduling.debug());
        case '/debug/endpoints':
          return sendJson(res, 200, debugEndpoints(holder.table, load, outliers, Date.now()));
        case '/debug/ratelimits':
          return sendJson(res, 200, { models: limiter.debug(Date.now()), ...(auth.enabled ? { apiKeys: auth.debug() } : {}), ...(ctx.tokens ? { tokenizers: ctx.tokens.stats() } : {}) });
      }
    }
    const body = errorBody(pathNotFound(path));
    res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const serverOptions = { keepAliveTimeout: 65_000, requestTimeout, headersTimeout, connectionsCheckingInterval: checkEveryMs(headersTimeout, requestTimeout) };
  const server = options.tls ? https.createServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }, handler) : http.createServer(serverOptions, handler);
  server.on('clientError', onClientError);
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info('gateway listening', { port, host });

  let closed: Promise<void> | null = null;
  return {
    url: `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    name,
    ready: watcher.whenReady,
    table: () => holder.table,
    close() {
      closed ??= (async () => {
        clearInterval(publisher);
        watcher.stop();
        hold?.close();
        idle.close();
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeIdleConnections();
          // Give streams a moment to end, then cut what remains.
          setTimeout(() => server.closeAllConnections(), 1000).unref();
        });
        scheduling.close();
        await ctx.tokens?.close();
        rateShare.stop();
        auth.close();
        sub.unsubscribe();
        await upstream.close();
        await tracing?.close();
        await nc.close();
        logger.close();
      })();
      return closed;
    },
  };
}
