// `mi controller --kubernetes`: the control plane in Kubernetes mode, in one process. CRDs are
// ingested into MI_DESIRED, derived children mirrored back, workload decisions applied as Pods
// and Services, autoscaler decisions as ModelInfer scale, and `mi apply` refused (kubectl owns
// the objects). Runs until SIGINT/SIGTERM, then stops its parts in reverse order.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Command } from 'commander';
import winston from 'winston';
import { BadArgumentError, ControlPlaneError, parsePrometheusUrl, setKubernetesMode, startControlPlane, type CliIO, type ComponentStarter } from '@matrixinfer/control-plane';
import { natsAuthFromEnv, type NatsClientAuth } from '@matrixinfer/events';
import { k8sNatsUser, natsServerDnsNames } from '../../install/nats-users.js';
import { ensureNatsCredentials } from '../../controller/nats-credentials.js';
import { ensureNatsTls } from '../../controller/nats-tls.js';
import { kubernetesComponents } from '../../controller/components.js';
import { preflight } from '../../controller/preflight.js';
import { leaderGate } from '../../controller/leader-gate.js';

interface ControllerFlags {
  kubernetes?: boolean;
  kubeconfig?: string;
  namespace?: string;
  natsUrl?: string;
  apiPort?: string;
  logLevel: string;
  leaderElect: boolean;
  leaseNamespace?: string;
  leaseDuration: string;
  prometheusUrl?: string;
  natsCredentialsSecret?: string;
  natsTlsSecret?: string;
  natsWait?: string;
  jetstreamReplicas?: string;
}

/** Default --nats-wait when the controller makes NATS Secrets: NATS waits for them to exist, then starts. */
export const NATS_WAIT_WITH_SECRETS_S = 120;
/** Default --nats-wait otherwise: long enough for a NATS Pod started alongside, short for a wrong URL. */
export const NATS_WAIT_DEFAULT_S = 15;

/** Seconds the first NATS connect waits: the flag when given (0-3600, else BadArgumentError), else the default for the mode. */
export function natsWaitSecondsOf(flag: string | undefined, makesSecrets: boolean): number {
  if (flag === undefined) return makesSecrets ? NATS_WAIT_WITH_SECRETS_S : NATS_WAIT_DEFAULT_S;
  const s = flag.trim() === '' ? NaN : Number(flag);
  if (!(s >= 0 && s <= 3600)) throw new BadArgumentError(`--nats-wait must be a number of seconds between 0 and 3600, got ${JSON.stringify(flag)}`);
  return s;
}

/** The kubeconfig to use: the named file, else KUBECONFIG / ~/.kube/config, else in-cluster. */
export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (file !== undefined) kc.loadFromFile(file);
    else kc.loadFromDefault();
  } catch (err) {
    throw new BadArgumentError(`cannot read the kubeconfig${file ? ` ${file}` : ''}: ${(err as Error).message}`);
  }
  if (kc.getCurrentCluster() === null) throw new BadArgumentError('no Kubernetes cluster configured: pass --kubeconfig FILE, set KUBECONFIG, or run in a Pod with a service account');
  return kc;
}

function parsePort(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new BadArgumentError(`--api-port must be a port number (0-65535), got ${JSON.stringify(v)}`);
  return n;
}

// A bad Prometheus URL fails before anything starts.
function prometheusUrlOf(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  try {
    return parsePrometheusUrl(v);
  } catch (err) {
    throw new BadArgumentError((err as Error).message);
  }
}

/**
 * NATS credentials and trust: the control-plane user's password and the server's CA from their
 * Secrets in POD_NAMESPACE (made when absent), else the environment's. The CA goes to a file in
 * `dataDir` because the NATS client reads its trust from a file.
 */
async function natsAuthOf(kubeConfig: KubeConfig, flags: ControllerFlags, env: CliIO['env'], logger: winston.Logger, dataDir: string): Promise<NatsClientAuth> {
  const auth = natsAuthFromEnv(env);
  const namespace = env.POD_NAMESPACE || 'default';
  if (flags.natsCredentialsSecret !== undefined) {
    const user = k8sNatsUser('control-plane');
    const passwords = await ensureNatsCredentials({ kubeConfig, namespace, secretName: flags.natsCredentialsSecret, randomBytes, logger });
    Object.assign(auth, { user: user.user, password: passwords[user.secretKey], inboxPrefix: user.inboxPrefix });
  }
  if (flags.natsTlsSecret !== undefined) {
    const tls = await ensureNatsTls({ kubeConfig, namespace, secretName: flags.natsTlsSecret, dnsNames: natsServerDnsNames(namespace), logger });
    auth.caFile = join(dataDir, 'nats-ca.pem');
    writeFileSync(auth.caFile, tls.ca, { mode: 0o600 });
  }
  return auth;
}

/** Marks the shared NATS as Kubernetes mode, so every `mi apply` and API replica refuses writes. */
function modeMarker(by: string): ComponentStarter {
  return { name: 'mode', start: async (c) => (await setKubernetesMode(c.nc, by), { stop: async () => undefined }) };
}

/** Leadership was lost while running: the process exits non-zero. */
export class LeadershipLostError extends ControlPlaneError {
  constructor(reason: string) {
    super('MI_ERR_LEADERSHIP_LOST', `stopped: this replica lost the leader Lease (${reason}); restart it to stand by again`);
    this.name = 'LeadershipLostError';
  }
}

// Every part of Kubernetes mode, behind the leader Lease unless --no-leader-elect.
function parts(by: string, kubeConfig: KubeConfig, flags: ControllerFlags, env: CliIO['env'], leaseDurationMs: number, onLost: (reason: string) => void): ComponentStarter {
  const inner = [modeMarker(by), ...kubernetesComponents({ kubeConfig, namespace: flags.namespace, prometheusUrl: flags.prometheusUrl })];
  if (!flags.leaderElect) return { name: 'kubernetes', start: async (c) => startAll(inner, c) };
  const namespace = flags.leaseNamespace ?? env.POD_NAMESPACE ?? 'default';
  // client-go's proportions: renew deadline 2/3 of the lease, retry period 2/15.
  return leaderGate({ kubeConfig, namespace, identity: by, leaseDurationMs, renewDeadlineMs: Math.round((leaseDurationMs * 2) / 3), retryPeriodMs: Math.max(200, Math.round((leaseDurationMs * 2) / 15)), parts: inner, onLost });
}

async function startAll(list: ComponentStarter[], c: Parameters<ComponentStarter['start']>[0]) {
  const running: { stop(): Promise<void> }[] = [];
  try {
    for (const p of list) running.push(await p.start(c));
  } catch (err) {
    for (const r of running.reverse()) await r.stop().catch(() => undefined);
    throw err;
  }
  return { stop: async () => { for (const r of running.reverse()) await r.stop(); } };
}

/** The `controller` subcommand. */
export function controllerCommand(io: CliIO): Command {
  return new Command('controller')
    .description('Kubernetes mode: CRD informers → events, mirrored children, Kubernetes actuator, scale applier')
    .option('--kubernetes', 'run against the Kubernetes API (the only mode of `mi controller`; one machine uses `mi up`)')
    .option('--kubeconfig <file>', 'kubeconfig to use (default KUBECONFIG, ~/.kube/config, then the in-cluster service account)')
    .option('-n, --namespace <ns>', 'watch and manage only this namespace (default every namespace)')
    .option('--nats-url <url>', 'NATS server (default env NATS_URL, else nats://127.0.0.1:4222)')
    .option('--nats-credentials-secret <name>', 'connect as the mi-control-plane NATS user, its password from this Secret in POD_NAMESPACE (made with a password per NATS user when absent)')
    .option('--nats-tls-secret <name>', 'trust the NATS server certificate in this Secret (ca.crt) in POD_NAMESPACE, making a CA and a certificate for the Service `nats` when absent')
    .option('--jetstream-replicas <n>', 'replicas of the streams and KV buckets on a NATS cluster: 1, 3 or 5 (env MI_JETSTREAM_REPLICAS, default 1; raised at start, never lowered)')
    .option('--nats-wait <seconds>', `how long the first NATS connect waits for a server that is not up yet (default ${NATS_WAIT_WITH_SECRETS_S} with a NATS Secret: on a fresh install NATS starts only once this made it; else ${NATS_WAIT_DEFAULT_S})`)
    .option('--api-port <port>', 'read-only control-plane API port (env MI_API_PORT, default 8090)')
    .option('--log-level <level>', 'error, warn, info or debug', 'info')
    .option('--no-leader-elect', 'run without the leader Lease (only ever one replica!)')
    .option('--lease-namespace <ns>', 'namespace of the leader Lease matrixinfer-controller (default env POD_NAMESPACE, else default)')
    .option('--lease-duration <seconds>', 'how long a standby waits for a silent leader before taking over', '15')
    .option('--prometheus-url <url>', 'Prometheus for AutoscalingPolicy metrics with a PromQL query (env MI_PROMETHEUS_URL; default none)')
    .action(async (flags: ControllerFlags) => {
      if (!flags.kubernetes) throw new BadArgumentError('mi controller only runs in Kubernetes mode: pass --kubernetes (on one machine, `mi up` runs the control plane)');
      const kubeConfig = loadKubeConfig(flags.kubeconfig);
      const apiPort = parsePort(flags.apiPort);
      flags.prometheusUrl = prometheusUrlOf(flags.prometheusUrl ?? (io.env.MI_PROMETHEUS_URL || undefined));
      await preflight(kubeConfig, flags.namespace);
      const by = io.env.POD_NAME ?? `mi-controller@${hostname()}-${process.pid}`;
      const leaseSeconds = Number(flags.leaseDuration);
      const replicasText = flags.jetstreamReplicas ?? (io.env.MI_JETSTREAM_REPLICAS || undefined);
      const jetstreamReplicas = replicasText === undefined ? undefined : Number(replicasText);
      if (jetstreamReplicas !== undefined && ![1, 3, 5].includes(jetstreamReplicas)) throw new BadArgumentError(`--jetstream-replicas must be 1, 3 or 5, got ${JSON.stringify(replicasText)}`);
      const natsWaitSeconds = natsWaitSecondsOf(flags.natsWait, flags.natsCredentialsSecret !== undefined || flags.natsTlsSecret !== undefined);
      if (!(leaseSeconds >= 1 && leaseSeconds <= 3600)) throw new BadArgumentError(`--lease-duration must be a number of seconds between 1 and 3600, got ${JSON.stringify(flags.leaseDuration)}`);
      const logger = winston.createLogger({
        level: flags.logLevel,
        format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
        defaultMeta: { controller: by },
        transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
      });
      // The local actuator's instance logs need a directory; nothing of it is used in this mode.
      const dataDir = mkdtempSync(join(tmpdir(), 'mi-controller-'));
      const ac = new AbortController();
      let lost: string | undefined;
      io.stop?.addEventListener('abort', () => ac.abort(), { once: true });
      const onSignal = () => ac.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const natsAuth = await natsAuthOf(kubeConfig, flags, io.env, logger, dataDir);
        const cp = await startControlPlane({
          natsUrl: flags.natsUrl ?? io.env.NATS_URL,
          natsAuth,
          natsFirstConnectWaitMs: natsWaitSeconds * 1000,
          jetstreamReplicas: jetstreamReplicas ?? 1,
          dataDir,
          apiPort,
          logger,
          components: [parts(by, kubeConfig, flags, io.env, leaseSeconds * 1000, (reason) => {
            lost = reason;
            ac.abort();
          })],
        });
        const lease = flags.leaderElect ? `${flags.leaseNamespace ?? io.env.POD_NAMESPACE ?? 'default'}/matrixinfer-controller` : null;
        io.out(JSON.stringify({ controller: 'kubernetes', identity: by, cluster: kubeConfig.getCurrentCluster()?.server, namespace: flags.namespace ?? '*', api: cp.api.url, lease }));
        if (!ac.signal.aborted) await new Promise<void>((r) => ac.signal.addEventListener('abort', () => r(), { once: true }));
        logger.info('stopping', lost === undefined ? {} : { reason: `leadership lost: ${lost}` });
        await cp.stop();
        // A replica that lost the lease exits non-zero, so Kubernetes restarts it as a clean standby.
        if (lost !== undefined) throw new LeadershipLostError(lost);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        rmSync(dataDir, { recursive: true, force: true });
        logger.close();
      }
    });
}
