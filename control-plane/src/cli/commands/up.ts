// `mi up [--config FILE] [--gateways N] [--nats-url URL] [--data-dir DIR] [--no-quickstart]
// [--api-port P] [--gateway-port P] [--prometheus-url URL] [--insecure-nats] [--gateway-tls]`: what `npm start` runs. Ctrl-C stops everything it started.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { parse } from 'yaml';
import { BadArgumentError } from '../../api/errors.js';
import { ExternalMetricsError } from '../../external/errors.js';
import { parsePrometheusUrl } from '../../external/runner.js';
import { defaultApiPort } from '../../runtime/control-plane.js';
import { startUp, type UpOptions } from '../../runtime/up.js';
import type { CliIO, GlobalOptions } from '../io.js';

const QUICKSTART = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..'), 'examples', 'quickstart.yaml');

interface UpFlags {
  config?: string;
  gateways?: string;
  dataDir?: string;
  quickstart: boolean;
  apiPort?: string;
  gatewayPort?: string;
  natsPort?: string;
  apply?: string[];
  prometheusUrl?: string;
  insecureNats?: boolean;
  gatewayTls?: boolean;
}

/** Keys a `--config` file may set (flags win over the file, the file over env and defaults). */
interface UpConfigFile {
  natsUrl?: string;
  dataDir?: string;
  gateways?: number;
  apiPort?: number;
  gatewayPort?: number;
  natsPort?: number;
  quickstart?: boolean;
  apply?: string[];
  /** Scheduler config of every gateway (a mapping) or a profile name; written to mi-config key `scheduler`. */
  scheduler?: unknown;
  /** Prometheus base URL for policy metrics with a PromQL query. */
  prometheusUrl?: string;
  /** Own nats-server without users and TLS. */
  insecureNats?: boolean;
  /** Gateways serve HTTPS with the local CA's certificate. */
  gatewayTls?: boolean;
}

/** mi-config key the gateways watch for their scheduler config (data-plane config-watcher.ts). */
export const SCHEDULER_CONFIG_KEY = 'scheduler';

/**
 * The `scheduler` value of a --config file as the text stored in mi-config, or undefined. Only
 * the shape is checked here (the control plane does not import the data plane): gateways
 * validate it fully, reject a bad one with every problem listed (key `scheduler.status.<gateway>`)
 * and keep the config in force.
 */
export function schedulerConfigText(v: unknown, file: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (typeof v === 'object' && !Array.isArray(v) && Array.isArray((v as { scorers?: unknown }).scorers)) return JSON.stringify(v);
  throw new BadArgumentError(`--config ${file}: scheduler must be a profile name or a mapping with scorers (and picker, filters)`);
}

function port(v: string | number | undefined, what: string, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new BadArgumentError(`${what} must be a port number (0-65535), got ${JSON.stringify(v)}`);
  return n;
}

// Bad configuration fails at start-up: the URL is checked here, before anything starts.
function prometheusUrl(v: unknown): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw new BadArgumentError(`--prometheus-url must be a URL, got ${JSON.stringify(v)}`);
  try {
    return parsePrometheusUrl(v);
  } catch (err) {
    if (err instanceof ExternalMetricsError) throw new BadArgumentError(err.message);
    throw err;
  }
}

function readConfig(file: string | undefined): UpConfigFile {
  if (!file) return {};
  let v: unknown;
  try {
    v = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new BadArgumentError(`cannot read --config ${file}: ${(err as Error).message}`);
  }
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new BadArgumentError(`--config ${file} must hold a mapping (natsUrl, dataDir, gateways, apiPort, gatewayPort, quickstart, apply, scheduler)`);
  return v as UpConfigFile;
}

/** Resolves flags, config file, env and defaults into UpOptions. */
export function resolveUpOptions(flags: UpFlags, globals: GlobalOptions, env: Record<string, string | undefined>): UpOptions {
  const file = readConfig(flags.config);
  const envNats = env.NATS_URL !== undefined && env.NATS_URL !== '' ? env.NATS_URL : undefined;
  const gateways = Number(flags.gateways ?? file.gateways ?? 1);
  if (!Number.isInteger(gateways) || gateways < 0) throw new BadArgumentError(`--gateways must be a whole number >= 0, got ${flags.gateways}`);
  const quickstart = flags.quickstart && file.quickstart !== false;
  const extra = [...(file.apply ?? []), ...(flags.apply ?? [])];
  return {
    natsUrl: globals.natsUrl ?? file.natsUrl ?? envNats,
    dataDir: flags.dataDir ?? file.dataDir ?? '.mi-data',
    gateways,
    apiPort: port(flags.apiPort ?? file.apiPort, '--api-port', defaultApiPort(env)),
    gatewayPort: port(flags.gatewayPort ?? file.gatewayPort, '--gateway-port', port(env.MI_GATEWAY_PORT, 'MI_GATEWAY_PORT', 8080)),
    natsPort: port(flags.natsPort ?? file.natsPort, '--nats-port', 4222),
    apply: [...(quickstart ? [QUICKSTART] : []), ...extra],
    schedulerConfig: schedulerConfigText(file.scheduler, flags.config ?? ''),
    prometheusUrl: prometheusUrl(flags.prometheusUrl ?? file.prometheusUrl ?? (env.MI_PROMETHEUS_URL || undefined)),
    insecureNats: flags.insecureNats ?? file.insecureNats ?? false,
    gatewayTls: flags.gatewayTls ?? file.gatewayTls ?? false,
  };
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** The `up` command; `io.stop` lets tests stop it (the process's SIGINT/SIGTERM do otherwise). */
export function upCommand(io: CliIO, globals: () => GlobalOptions): Command {
  return new Command('up')
    .description('start nats-server (unless --nats-url/NATS_URL), the control plane, gateways and the quickstart model')
    .option('--config <file>', 'YAML/JSON file with natsUrl, dataDir, gateways, apiPort, gatewayPort, quickstart, apply, scheduler, prometheusUrl, insecureNats, gatewayTls')
    .option('--gateways <n>', 'gateway replicas (ports --gateway-port, +1, ...)')
    .option('--data-dir <dir>', 'where JetStream data, instance logs and logs live (default ./.mi-data)')
    .option('--no-quickstart', 'do not apply examples/quickstart.yaml')
    .option('--api-port <port>', 'control-plane API port (env MI_API_PORT, default 8090)')
    .option('--gateway-port <port>', 'first gateway port (env MI_GATEWAY_PORT, default 8080)')
    .option('--nats-port <port>', 'port of the nats-server mi up starts (default 4222)')
    .option('--apply <file>', 'also apply this manifest at start; repeatable', collect)
    .option('--insecure-nats', 'start nats-server without users and TLS (default: one user per component, TLS; credentials in <data-dir>/secrets)')
    .option('--gateway-tls', 'gateways serve HTTPS with a certificate of the local CA (<data-dir>/secrets/tls/ca.pem)')
    .option('--prometheus-url <url>', 'Prometheus for AutoscalingPolicy metrics with a PromQL query (env MI_PROMETHEUS_URL; default none)')
    .action(async (flags: UpFlags) => {
      const opts = resolveUpOptions(flags, globals(), io.env);
      const ac = new AbortController();
      io.stop?.addEventListener('abort', () => ac.abort(), { once: true });
      let signals = 0;
      const onSignal = () => {
        // First Ctrl-C stops in order; a second one gives up waiting (children die with us).
        if (++signals > 1) process.exit(130);
        ac.abort();
      };
      // SIGHUP: the terminal that ran `mi up` closed; stop everything as for Ctrl-C.
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      process.on('SIGHUP', onSignal);
      try {
        const up = await startUp(opts, { out: (l) => io.out(l), err: (l) => io.err(l) }, ac.signal);
        await up.done;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        process.off('SIGHUP', onSignal);
      }
    });
}
