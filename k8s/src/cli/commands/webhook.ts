// `mi webhook`: the admission webhooks (validating and mutating, all six kinds) over HTTPS.
// With --tls-cert-file/--tls-key-file it serves that pair (a cert-manager Secret mounted as
// files); without, it generates a CA and a serving certificate for --dns-name at start-up and
// prints the caBundle to put into the webhook configurations.
import { Command } from 'commander';
import winston from 'winston';
import { BadArgumentError, type CliIO } from '@matrixinfer/control-plane';
import { parseDurationMs } from '@matrixinfer/schemas';
import { generateServingCert, loadServingCert, type ServingCert } from '../../webhook/certs.js';
import { startCertManager, type CertManager } from '../../webhook/cert-manager.js';
import { startWebhookServer, type WebhookServer } from '../../webhook/server.js';
import { startObjectCache } from '../../webhook/cache.js';
import { crossResourceChecks, deletionChecks } from '../../webhook/cross.js';
import type { CrossCheck } from '../../webhook/review.js';
import { loadKubeConfig } from './controller.js';

interface WebhookFlags {
  port: string;
  host: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsCaFile?: string;
  dnsName: string[];
  logLevel: string;
  tlsSecret?: string;
  namespace?: string;
  configuration: string;
  kubeconfig?: string;
  certValidity: string;
  crossChecks: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** The `webhook` subcommand; runs until SIGINT/SIGTERM. */
export function webhookCommand(io: CliIO): Command {
  return new Command('webhook')
    .description('admission webhooks over HTTPS: POST /validate and /mutate (AdmissionReview admission.k8s.io/v1), /healthz, /metrics')
    .option('--port <port>', 'HTTPS port', '9443')
    .option('--host <host>', 'bind address', '0.0.0.0')
    .option('--tls-cert-file <file>', 'serving certificate (PEM); with --tls-key-file')
    .option('--tls-key-file <file>', 'its private key (PEM)')
    .option('--tls-ca-file <file>', 'CA of the certificate, printed as the caBundle (default the certificate)')
    .option('--dns-name <name>', 'name the generated certificate is for; repeatable (default matrixinfer-webhook.matrixinfer-system.svc)', collect, [])
    .option('--tls-secret <name>', 'keep the CA and serving certificate in this Secret (shared by replicas, rotated at 2/3 of its life) and the caBundle of --configuration current')
    .option('-n, --namespace <ns>', 'namespace of --tls-secret (default env POD_NAMESPACE, else matrixinfer-system)')
    .option('--configuration <name>', 'Validating- and MutatingWebhookConfiguration whose caBundle --tls-secret keeps current', 'matrixinfer')
    .option('--kubeconfig <file>', 'kubeconfig for --tls-secret (default KUBECONFIG, ~/.kube/config, then in-cluster)')
    .option('--cert-validity <duration>', 'serving certificate lifetime with --tls-secret or a generated pair, e.g. 720h', '720h')
    .option('--no-cross-checks', 'skip the checks across resources (they read the cluster through --kubeconfig or the service account)')
    .option('--log-level <level>', 'error, warn, info or debug', 'info')
    .action(async (flags: WebhookFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new BadArgumentError(`--port must be a port number, got ${JSON.stringify(flags.port)}`);
      if ((flags.tlsCertFile === undefined) !== (flags.tlsKeyFile === undefined)) throw new BadArgumentError('--tls-cert-file and --tls-key-file go together');
      const names = flags.dnsName.length > 0 ? flags.dnsName : ['matrixinfer-webhook.matrixinfer-system.svc'];
      let validityMs: number | undefined;
      try {
        validityMs = parseDurationMs(flags.certValidity);
      } catch {
        validityMs = undefined;
      }
      if (validityMs === undefined || !(validityMs >= 1000)) throw new BadArgumentError(`--cert-validity must be a duration of at least 1s such as 720h or 90m, got ${JSON.stringify(flags.certValidity)}`);
      if (flags.tlsSecret !== undefined && flags.tlsCertFile !== undefined) throw new BadArgumentError('--tls-secret and --tls-cert-file exclude each other: the Secret mode makes its own certificates');
      const logger = winston.createLogger({ level: flags.logLevel, format: winston.format.combine(winston.format.timestamp(), winston.format.json()), transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })] });
      // Set once the server listens; a rotation before that is picked up by the start itself.
      const live: { server?: WebhookServer } = {};
      let certs: CertManager | undefined;
      let cert: ServingCert;
      if (flags.tlsSecret !== undefined) {
        certs = await startCertManager({
          kubeConfig: loadKubeConfig(flags.kubeconfig),
          namespace: flags.namespace ?? io.env.POD_NAMESPACE ?? 'matrixinfer-system',
          secretName: flags.tlsSecret,
          configurations: [flags.configuration],
          dnsNames: names,
          ips: ['127.0.0.1'],
          validityMs,
          logger,
          onCert: (c) => live.server?.setCert(c),
        });
        cert = certs.current();
      } else {
        cert = flags.tlsCertFile ? loadServingCert(flags.tlsCertFile, flags.tlsKeyFile!, flags.tlsCaFile) : await generateServingCert(names, ['127.0.0.1'], validityMs);
      }
      // Checks across resources read a cache of the cluster's objects, like an informer.
      const cache = flags.crossChecks ? startObjectCache(loadKubeConfig(flags.kubeconfig), logger) : undefined;
      if (cache) await cache.synced;
      const cross: CrossCheck | undefined = cache ? (kind, obj, op) => (op === 'DELETE' ? deletionChecks(kind, obj, cache) : crossResourceChecks(kind, obj, cache)) : undefined;
      const server = await startWebhookServer({ cert, port, host: flags.host, logger, cross });
      live.server = server;
      io.out(JSON.stringify({ webhook: server.url, caBundle: Buffer.from(cert.ca).toString('base64'), certificates: flags.tlsSecret !== undefined ? `secret ${flags.tlsSecret}` : flags.tlsCertFile ? 'files' : 'generated' }));
      const ac = new AbortController();
      io.stop?.addEventListener('abort', () => ac.abort(), { once: true });
      const onSignal = () => ac.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        if (!ac.signal.aborted) await new Promise<void>((r) => ac.signal.addEventListener('abort', () => r(), { once: true }));
        await certs?.stop();
        await cache?.stop();
        await server.close();
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        logger.close();
      }
    });
}
