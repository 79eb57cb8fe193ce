// `mi up` / `npm start`: nats-server (unless a URL is given), the control plane, N gateways, the
// quickstart model; progress until it is ready; everything stopped again on the stop signal.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import winston from 'winston';
import { BUCKETS, openKv } from '@matrixinfer/events';
import { validateManifests } from '../api/service.js';
import type { Model } from '../controllers/types.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { defaultComponents, type ComponentStarter } from './components.js';
import type { ManagedChild } from './child.js';
import { ensureLocalCerts, type LocalCerts } from './certs.js';
import { findGatewayBin, gatewayName, restartGateway, startGateways, type GatewayChild, type StartGatewaysOptions } from './gateways.js';
import { adminAuthFile, prepareLocalNats, secretsDir, type LocalNatsSecurity } from './local-security.js';
import { lockDataDir } from './lock.js';
import { startNatsChild, type NatsChild } from './nats-child.js';
import { reapOrphans, recordPids } from './orphans.js';
import { waitForModel } from './progress.js';
import { superviseChild, type Supervised } from './supervise.js';

export interface UpOptions {
  /** Use this NATS instead of starting one. */
  natsUrl?: string;
  dataDir: string;
  gateways: number;
  gatewayPort: number;
  apiPort: number;
  /** Port of the nats-server `mi up` starts; default 4222. */
  natsPort?: number;
  /** Manifests to apply after start (the quickstart unless disabled). */
  apply: string[];
  /** How long to show progress before saying the model is not ready yet; default 120 s. */
  readyTimeoutMs?: number;
  /** Scheduler config text (YAML/JSON or a profile name) written to mi-config key `scheduler` before gateways start. */
  schedulerConfig?: string;
  /** Parts of the control plane (tests pass a subset); default all. */
  components?: ComponentStarter[];
  /** Prometheus base URL for policy metrics with a PromQL query (used by the default parts). */
  prometheusUrl?: string;
  /** Own nats-server without users and TLS (as before #18); ignored with natsUrl. */
  insecureNats?: boolean;
  /** Gateways serve HTTPS with the local CA's certificate (<dataDir>/secrets/tls). */
  gatewayTls?: boolean;
  /** Randomness of the NATS passwords; default crypto.randomBytes. */
  randomBytes?: (n: number) => Buffer;
}

/** Where a person reads what `mi up` is doing. */
export interface UpIO {
  out(line: string): void;
  err(line: string): void;
}

/** What `mi up` started, for callers that wait on it (tests). */
export interface UpHandle {
  natsUrl: string;
  apiUrl: string;
  /** Credentials file of `mi` commands on this machine (own nats-server with users), else undefined. */
  adminAuthFile?: string;
  /** The local CA (own secure nats-server or --gateway-tls). */
  caFile?: string;
  gateways: GatewayChild[];
  /** Resolves once everything is stopped (after the stop signal). */
  done: Promise<void>;
}

/** The curl line that tries a model through a gateway. */
export function curlLine(gatewayUrl: string, model: string, caFile?: string): string {
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello!' }] });
  return `curl -s ${caFile !== undefined && gatewayUrl.startsWith('https:') ? `--cacert ${caFile} ` : ''}${gatewayUrl}/v1/chat/completions -H 'content-type: application/json' -d '${body}'`;
}

function fileLogger(dataDir: string): winston.Logger {
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  return winston.createLogger({
    level: process.env.MI_LOG_LEVEL ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.File({ filename: join(dataDir, 'logs', 'control-plane.log') })],
  });
}

/**
 * Starts everything and resolves once the system is up (and the applied models are ready, or
 * the ready timeout passed); `stop` aborting makes it stop everything, then `done` resolves.
 */
export async function startUp(opts: UpOptions, io: UpIO, stop: AbortSignal): Promise<UpHandle> {
  const dataDir = resolve(opts.dataDir);
  const release = lockDataDir(dataDir);
  const logger = fileLogger(dataDir);
  let nats: NatsChild | undefined;
  let security: LocalNatsSecurity | undefined;
  let certs: LocalCerts | undefined;
  let cp: ControlPlane | undefined;
  let gateways: GatewayChild[] = [];
  let stopping = false;
  const pidFile = join(dataDir, 'children.pids');
  let natsSup: Supervised | undefined;
  const supervised: Supervised[] = [];
  // Restarted children get new pids: the record an orphan reaper reads must follow.
  const recordAll = () => recordPids(pidFile, [...(natsSup ? [{ pid: natsSup.current().pid, marker: 'nats-server' }] : []), ...gateways.map((g) => ({ pid: g.child.pid, marker: 'mi-gateway' }))]);
  // A child that dies on its own is started again (same port, store, credentials) with backoff,
  // each death and restart reported; the rest keeps running meanwhile (the control plane
  // reconnects to NATS forever, gateways serve from their last routing table).
  const keep = (name: string, first: ManagedChild, log: string, start: () => Promise<ManagedChild>, onRestart: (c: ManagedChild) => void = () => undefined) => {
    const sup = superviseChild({
      name,
      first,
      start,
      stopping: () => stopping,
      onExit: (why, next) => io.err(`warning: ${name} exited unexpectedly (${why}); ${'giveUp' in next ? 'not restarting it' : `restarting it in ${next.restartInMs} ms`}; see ${log}`),
      onRestart: (child, _why, n) => {
        onRestart(child);
        recordAll();
        io.err(`${name} restarted (pid ${child.pid}, restart ${n})`);
      },
      onGiveUp: (why) => io.err(`error: ${name} keeps exiting (${why}); mi up goes on without it: fix the cause in ${log}, then restart mi up`),
      onStartError: (err) => io.err(`warning: restarting ${name} failed: ${err.message}`),
    });
    supervised.push(sup);
    return sup;
  };
  const shutdown = async () => {
    stopping = true;
    await Promise.all(supervised.map((s) => s.idle()));
    for (const g of [...gateways].reverse()) await g.child.stop();
    await cp?.stop();
    await natsSup?.current().stop();
    rmSync(pidFile, { force: true });
    logger.close();
    release();
  };
  try {
    io.out(`mi up: data in ${dataDir} (logs in ${join(dataDir, 'logs')})`);
    const reaped = await reapOrphans(pidFile);
    if (reaped.length > 0) io.err(`stopped ${reaped.length} process(es) left by an earlier mi up that did not stop cleanly (pids ${reaped.join(', ')})`);
    let natsUrl = opts.natsUrl;
    if (natsUrl === undefined) {
      if (opts.insecureNats) {
        // No stale credentials for `mi` to pick up: this server has no users.
        rmSync(adminAuthFile(dataDir), { force: true });
      } else {
        security = await prepareLocalNats({
          dataDir,
          url: `nats://127.0.0.1:${opts.natsPort ?? 4222}`,
          gatewayNames: Array.from({ length: opts.gateways }, (_, i) => gatewayName(i)),
          randomBytes: opts.randomBytes ?? randomBytes,
        });
      }
      const natsOpts = { dataDir, port: opts.natsPort, configFile: security?.configFile };
      nats = await startNatsChild(natsOpts);
      natsUrl = nats.url;
      const natsPort = nats.port;
      natsSup = keep('nats-server', nats.child, join(dataDir, 'logs', 'nats-server.log'), async () => (await startNatsChild({ ...natsOpts, port: natsPort })).child);
      recordAll();
      const how = security ? `users and TLS; credentials in ${secretsDir(dataDir)}` : 'no users, no TLS: --insecure-nats';
      io.out(`nats-server     ${natsUrl} (started here; JetStream in ${join(dataDir, 'nats')}; ${how})`);
    } else {
      io.out(`nats-server     ${natsUrl} (given; not started by mi up)`);
    }
    cp = await startControlPlane({ natsUrl, natsAuth: security?.controlPlane, dataDir, apiPort: opts.apiPort, logger, components: opts.components ?? defaultComponents({ prometheusUrl: opts.prometheusUrl }) });
    io.out(`control plane   ${cp.api.url} (API /apis/v1, /healthz, /metrics; ${cp.components.join(', ')})`);
    if (opts.prometheusUrl !== undefined) io.out(`prometheus      ${opts.prometheusUrl} (PromQL queries of AutoscalingPolicies)`);
    if (opts.schedulerConfig !== undefined) {
      // Gateways validate it (the control plane does not import the data plane) and report the
      // outcome under scheduler.status.<gateway>; a bad value leaves them on their start-up config.
      const config = await openKv(jetstream(cp.nc), BUCKETS.config);
      const revision = await config.put('scheduler', opts.schedulerConfig);
      io.out(`scheduler       mi-config key scheduler (revision ${revision}); gateways report under scheduler.status.<gateway>`);
    }
    if (opts.gateways > 0) {
      const bin = findGatewayBin();
      if (bin === null) {
        io.err('warning: no gateway in this checkout (data-plane mi-gateway is missing); starting none');
      } else {
        certs = security?.certs ?? (opts.gatewayTls ? await ensureLocalCerts(join(secretsDir(dataDir), 'tls')) : undefined);
        const tls = opts.gatewayTls && certs ? certs : undefined;
        const gwOpts: StartGatewaysOptions = { count: opts.gateways, basePort: opts.gatewayPort, natsUrl, dataDir, bin, authFile: security?.gatewayAuthFile, tls };
        gateways = await startGateways(gwOpts);
        recordAll();
        for (const [i, g] of gateways.entries()) {
          io.out(`gateway ${g.name.padEnd(7)} ${g.url} (OpenAI API)`);
          keep(g.name, g.child, join(dataDir, 'logs', `${g.name}.log`), () => restartGateway(gwOpts, i), (c) => (g.child = c));
        }
      }
    }
    const models: Model[] = [];
    if (opts.apply.length > 0) {
      const docs = validateManifests(opts.apply.map((f) => ({ text: readFileSync(f, 'utf8'), source: f })));
      for (const o of await cp.service.apply(docs)) io.out(`${o.kind.toLowerCase()}/${o.name} ${o.result}`);
      for (const d of docs) if (d.resource.kind === 'Model') models.push(d.resource as unknown as Model);
    }
    const routes = await openKv(jetstream(cp.nc), BUCKETS.routes);
    const deadlineMs = Date.now() + (opts.readyTimeoutMs ?? 120_000);
    for (const model of models) {
      const ok = await waitForModel({ routes, model, onProgress: io.out, deadlineMs, signal: stop });
      if (!ok && !stop.aborted) io.err(`warning: model ${model.metadata.name} is not ready yet; see \`mi get models\` and ${join(dataDir, 'logs')}`);
    }
    if (!stop.aborted) {
      if (models.length > 0 && gateways.length > 0) {
        const name = models[0].spec.name ?? models[0].metadata.name;
        io.out(`ready. Try it:\n  ${curlLine(gateways[0].url, name, certs?.caFile)}`);
      } else {
        io.out('ready.');
      }
      io.out('Press Ctrl-C to stop everything mi up started.');
    }
  } catch (err) {
    await shutdown();
    throw err;
  }
  const done = new Promise<void>((resolveDone) => {
    const onStop = () => {
      io.out('stopping…');
      void shutdown().then(() => {
        io.out('stopped.');
        resolveDone();
      });
    };
    if (stop.aborted) onStop();
    else stop.addEventListener('abort', onStop, { once: true });
  });
  return { natsUrl: nats?.url ?? opts.natsUrl!, apiUrl: cp.api.url, gateways, done, adminAuthFile: security?.adminFile, caFile: security?.certs.caFile ?? certs?.caFile };
}
