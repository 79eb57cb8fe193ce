// `mi-gateway`: runs one gateway replica until SIGTERM/SIGINT.
import { Command, InvalidArgumentError, Option } from 'commander';
import { SCHEDULER_PROFILE_NAMES } from '../scheduler/index.js';
import { startGateway } from './gateway.js';
import type { LogLevel } from './log.js';

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('not a non-negative integer');
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
  .addOption(new Option('--log-level <level>', 'log level').choices(['off', 'error', 'warn', 'info', 'debug']).default('info'))
  .addOption(new Option('--upstream <client>', 'upstream HTTP client').choices(['undici', 'http']).default('undici'))
  .addOption(new Option('--scheduler <profile>', 'start-up scheduler profile (live: mi-config key scheduler)').choices([...SCHEDULER_PROFILE_NAMES]).default('default'))
  .addOption(new Option('--decision-sample-rate <rate>', 'share of scheduling decisions published on mi.decisions.gateway.<ns>.<model> (live: mi-config gateway.decisionSampleRate)').default(0.01).argParser(rate))
  .option('--no-share-peers', 'do not share prefix placements and in-flight counts with peer gateways')
  .addOption(new Option('--hold-timeout-ms <ms>', 'longest wait of a request for a model with no ready replica (scale from zero); 0: 503 at once').default(60_000).argParser(nonNegativeInt))
  .addOption(new Option('--max-held <n>', 'requests held per model at most while it starts').default(256).argParser(nonNegativeInt));

program.parse();
const o = program.opts<{ port: number; host: string; natsUrl?: string; name?: string; logLevel: LogLevel; upstream: 'undici' | 'http'; scheduler: string; decisionSampleRate: number; sharePeers: boolean; holdTimeoutMs: number; maxHeld: number }>();

let gw: Awaited<ReturnType<typeof startGateway>>;
try {
  gw = await startGateway({
    port: o.port,
    host: o.host,
    natsUrl: o.natsUrl,
    name: o.name,
    logLevel: o.logLevel,
    upstream: o.upstream,
    schedulerConfig: o.scheduler,
    decisionSampleRate: o.decisionSampleRate,
    sharePeers: o.sharePeers,
    holdTimeoutMs: o.holdTimeoutMs,
    maxHeldPerModel: o.maxHeld,
  });
} catch (err) {
  // Only main decides to exit: a clear one-line reason (no NATS, port taken) and status 1.
  process.stderr.write(`mi-gateway: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
// One line on stdout that scripts (`mi up`, benchmarks) can wait for.
process.stdout.write(`${JSON.stringify({ gateway: gw.name, url: gw.url })}\n`);

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
