// `mi-gateway`: runs one gateway replica until SIGTERM/SIGINT; with --workers N > 1, a node:cluster
// primary whose N workers are each a full gateway on the same port (workers/primary.ts).
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { parseApiKeyFile } from '@matrixinfer/schemas';
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { SCHEDULER_PROFILE_NAMES } from '../scheduler/index.js';
import { startGateway } from './gateway.js';
import type { LogLevel } from './log.js';
import { runPrimary } from './workers/primary.js';
import { parseTokenizerSpecs, type TokenizerSpec } from '../tokenizer/specs.js';
import { resolveOtlpTracesUrl } from '../tracing/index.js';

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('not a non-negative integer');
  return n;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('not a positive integer');
  return n;
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('not a port number');
  return n;
}

function rate(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError('not a number in [0,1]');
  return n;
}

const program = new Command('mi-gateway')
  .description('MatrixInfer gateway: OpenAI-compatible routing that follows the mi-routes table')
  .addOption(new Option('--port <port>', 'HTTP port').env('MI_GATEWAY_PORT').default(8080).argParser(port))
  .option('--host <host>', 'listen address', '127.0.0.1')
  .addOption(new Option('--nats-url <url>', 'NATS server (default nats://127.0.0.1:4222)').env('NATS_URL'))
  .option('--name <name>', 'replica name (default gateway-<pid>)')
  .addOption(new Option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain); needs --tls-key').env('MI_GATEWAY_TLS_CERT'))
  .addOption(new Option('--tls-key <file>', 'PEM private key of --tls-cert').env('MI_GATEWAY_TLS_KEY'))
  .addOption(new Option('--log-level <level>', 'log level').choices(['off', 'error', 'warn', 'info', 'debug']).default('info'))
  .addOption(new Option('--upstream <client>', 'upstream HTTP client').choices(['undici', 'http']).default('undici'))
  .addOption(new Option('--scheduler <profile>', 'start-up scheduler profile (live: mi-config key scheduler)').choices([...SCHEDULER_PROFILE_NAMES]).default('default'))
  .addOption(new Option('--decision-sample-rate <rate>', 'share of scheduling decisions published on mi.decisions.gateway.<ns>.<model> (live: mi-config gateway.decisionSampleRate)').default(0.01).argParser(rate))
  .option('--no-share-peers', 'do not share prefix placements and in-flight counts with peer gateways')
  .addOption(new Option('--hold-timeout-ms <ms>', 'longest wait of a request for a model with no ready replica (scale from zero); 0: 503 at once').default(60_000).argParser(nonNegativeInt))
  .addOption(new Option('--max-held <n>', 'requests held per model at most while it starts').default(256).argParser(nonNegativeInt))
  .addOption(new Option('--default-retry-attempts <n>', 'retries, each to another endpoint, for ModelServers without trafficPolicy.retry; 0: none').default(2).argParser(nonNegativeInt))
  .addOption(new Option('--stream-idle-timeout-ms <ms>', 'no byte from the engine for this long ends an attempt, for ModelServers that set no trafficPolicy.streamIdleTimeout; 0: off').default(30_000).argParser(nonNegativeInt))
  .addOption(new Option('--tokenizer <name=dir...>', "a model's own tokenizer for input-token limits: NAME (client model name) = DIR holding tokenizer.json and tokenizer_config.json; repeatable").default([]))
  .addOption(new Option('--api-keys <file>', 'API key file (mi.apikeys/v1, made with `mi keys create`; followed live, docs/security.md); without it requests need no key').env('MI_GATEWAY_API_KEYS'))
  .addOption(new Option('--admin-token <token>', 'Bearer token of /debug/* (prefer the env variable or --admin-token-file: argv is visible to ps)').env('MI_GATEWAY_ADMIN_TOKEN'))
  .option('--admin-token-file <file>', 'file holding the admin token (a mounted Secret)')
  .option('--no-loopback-debug', 'without an admin credential /debug/* is off even on a loopback listener (a local reverse proxy publishes it)')
  .option('--protect-metrics', '/metrics needs the admin credential too (default: open for Prometheus)')
  .addOption(new Option('--headers-timeout-ms <ms>', 'longest time for a client to send the request headers (408 and close beyond; slowloris)').default(60_000).argParser(positiveInt))
  .addOption(new Option('--request-timeout-ms <ms>', 'longest time to receive a whole request, body included (408 beyond); 0: no limit').default(0).argParser(nonNegativeInt))
  .addOption(new Option('--otlp-endpoint <url>', 'OTLP/HTTP traces URL, used as it is (default: env OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces; none: no tracing)'))
  .addOption(new Option('--otlp-sample-rate <rate>', 'share of requests without a sampled client traceparent that start a trace (a sampled client trace is always followed)').default(1).argParser(rate))
  .addOption(new Option('--workers <n>', 'gateway worker processes on the one port (default: one per core; 1: in-process, no cluster)').env('MI_GATEWAY_WORKERS').argParser(positiveInt));

program.parse();
const o = program.opts<{ tlsCert?: string; tlsKey?: string; port: number; host: string; natsUrl?: string; name?: string; logLevel: LogLevel; upstream: 'undici' | 'http'; scheduler: string; decisionSampleRate: number; sharePeers: boolean; holdTimeoutMs: number; maxHeld: number; streamIdleTimeoutMs: number; defaultRetryAttempts: number; tokenizer: string[]; workers?: number; headersTimeoutMs: number; requestTimeoutMs: number; otlpEndpoint?: string; otlpSampleRate: number; apiKeys?: string; adminToken?: string; adminTokenFile?: string; protectMetrics?: boolean; loopbackDebug: boolean }>();
const workers = o.workers ?? availableParallelism();
const baseName = o.name ?? `gateway-${process.pid}`;

// Checked before any worker starts: a missing tokenizer or certificate file or a bad OTLP URL is one clear line, not N.
let tokenizers: TokenizerSpec[];
let tls: { cert: Buffer; key: Buffer } | undefined;
let otlpTracesUrl: string | undefined;
try {
  tokenizers = parseTokenizerSpecs(o.tokenizer);
  otlpTracesUrl = resolveOtlpTracesUrl(o.otlpEndpoint, process.env);
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) throw new Error('--tls-cert and --tls-key go together');
  if (o.tlsCert !== undefined && o.tlsKey !== undefined) tls = { cert: readFileSync(o.tlsCert), key: readFileSync(o.tlsKey) };
} catch (err) {
  process.stderr.write(`mi-gateway: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

function readText(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${flag} ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
}

// The key file and admin token are checked here too: one clear line, not one per worker.
let adminToken = o.adminToken;
try {
  if (o.apiKeys !== undefined) parseApiKeyFile(readText('--api-keys', o.apiKeys), o.apiKeys);
  if (o.adminTokenFile !== undefined) adminToken = readText('--admin-token-file', o.adminTokenFile).trim();
  if (adminToken !== undefined && adminToken.length < 16) throw new Error('the admin token must be at least 16 characters');
} catch (err) {
  process.stderr.write(`mi-gateway: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

if (workers > 1 && cluster.isPrimary) {
  const code = await runPrimary({ workers, name: baseName, out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) });
  process.exit(code);
}

let gw: Awaited<ReturnType<typeof startGateway>>;
try {
  gw = await startGateway({
    tokenizers,
    port: o.port,
    host: o.host,
    tls,
    natsUrl: o.natsUrl,
    name: cluster.isWorker ? process.env.MI_GATEWAY_WORKER_NAME : o.name,
    logLevel: o.logLevel,
    upstream: o.upstream,
    schedulerConfig: o.scheduler,
    decisionSampleRate: o.decisionSampleRate,
    sharePeers: o.sharePeers,
    holdTimeoutMs: o.holdTimeoutMs,
    maxHeldPerModel: o.maxHeld,
    streamIdleTimeoutMs: o.streamIdleTimeoutMs,
    defaultRetryAttempts: o.defaultRetryAttempts,
    apiKeysFile: o.apiKeys,
    adminToken,
    protectMetrics: o.protectMetrics === true,
    openDebugOnLoopback: o.loopbackDebug,
    headersTimeoutMs: o.headersTimeoutMs,
    requestTimeoutMs: o.requestTimeoutMs,
    otlpTracesUrl,
    otlpSampleRate: o.otlpSampleRate,
  });
} catch (err) {
  // Only main decides to exit: a clear one-line reason (no NATS, port taken) and status 1.
  process.stderr.write(`mi-gateway: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
// One line on stdout that scripts (`mi up`, benchmarks) can wait for; a worker tells its primary,
// which prints one line once all workers listen.
if (cluster.isWorker) process.send?.({ miGatewayReady: { name: gw.name, url: gw.url } });
else process.stdout.write(`${JSON.stringify({ gateway: gw.name, url: gw.url })}\n`);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  gw.close().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`mi-gateway: error while stopping on ${signal}: ${String(err)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
// A worker whose primary is gone (killed with SIGKILL) must not live on as an orphan.
if (cluster.isWorker) process.on('disconnect', () => stop('disconnect'));
