// Gateway replicas of `mi up`: each one is the data plane's `mi-gateway` bin as a child process.
// The control plane never imports data-plane code; they meet only through NATS.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import https from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnChild, type ManagedChild } from './child.js';
import { ChildStartError, PortBusyError, StartTimeoutError } from './errors.js';
import { isPortInUse, pollUntil } from './ports.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Path of the `mi-gateway` bin script, or null when the data plane does not ship one here. */
export function findGatewayBin(root = REPO_ROOT): string | null {
  const bin = join(root, 'node_modules', '.bin', 'mi-gateway');
  if (!existsSync(bin)) return null;
  const script = realpathSync(bin);
  // The shim imports the gateway's main; without it there is no gateway to run yet.
  return existsSync(join(dirname(script), '..', 'src', 'gateway', 'main.ts')) ? script : null;
}

/** Name of gateway replica `i` of `mi up` (also its NATS user's suffix). */
export function gatewayName(i: number): string {
  return `gw-${i}`;
}

export interface GatewayChild {
  name: string;
  port: number;
  url: string;
  child: ManagedChild;
}

export interface StartGatewaysOptions {
  count: number;
  basePort: number;
  natsUrl: string;
  dataDir: string;
  bin: string;
  timeoutMs?: number;
  /** Credentials file (MI_NATS_AUTH_FILE) of each replica by name; absent: the inherited environment. */
  authFile?: (name: string) => string;
  /** Serve HTTPS with this certificate and key (and trust `caFile` for the readiness probe). */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

async function healthy(url: string, caFile: string | undefined): Promise<boolean> {
  try {
    if (caFile !== undefined) return (await httpsStatus(`${url}/healthz`, caFile)) === 200;
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Status code of a GET over HTTPS trusting only `caFile` (fetch cannot be given a CA per call). */
export function httpsStatus(url: string, caFile: string): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const req = https.get(url, { ca: readFileSync(caFile), timeout: 1000 }, (res) => {
      res.resume();
      res.once('end', () => resolveStatus(res.statusCode ?? 0));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
  });
}

// Spawns gateway replica `i` (not waiting for it).
async function spawnGateway(opts: StartGatewaysOptions, i: number): Promise<GatewayChild> {
  const port = opts.basePort + i;
  const name = gatewayName(i);
  if (await isPortInUse(port)) throw new PortBusyError(port, `Choose other gateway ports with --gateway-port.`);
  const child = await spawnChild({
    name,
    command: process.execPath,
    args: [opts.bin, '--port', String(port), '--nats-url', opts.natsUrl, '--name', name, ...(opts.tls ? ['--tls-cert', opts.tls.certFile, '--tls-key', opts.tls.keyFile] : [])],
    // `mi up` scales with --gateways (one process each) unless MI_GATEWAY_WORKERS asks for more.
    // The credentials go by file path: a password in argv or env is readable by `ps`/procfs.
    env: { MI_GATEWAY_PORT: String(port), NATS_URL: opts.natsUrl, MI_GATEWAY_WORKERS: process.env.MI_GATEWAY_WORKERS ?? '1', ...(opts.authFile ? { MI_NATS_AUTH_FILE: opts.authFile(name) } : {}) },
    logFile: join(opts.dataDir, 'logs', `${name}.log`),
  });
  return { name, port, url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`, child };
}

// Waits until `gw` answers /healthz; throws naming its log when it exits or the deadline passes.
async function waitHealthy(opts: StartGatewaysOptions, gw: GatewayChild, deadline: number): Promise<void> {
  const log = join(opts.dataDir, 'logs', `${gw.name}.log`);
  const ok = await pollUntil(async () => {
    if (!gw.child.running()) throw new ChildStartError(`${gw.name} exited before it was ready; see ${log}`);
    return healthy(gw.url, opts.tls?.caFile);
  }, deadline);
  if (!ok) throw new StartTimeoutError(`${gw.name} did not answer ${gw.url}/healthz in time; see ${log}`);
}

/** Starts `count` gateways on basePort, basePort+1, ... and waits until each answers /healthz. */
export async function startGateways(opts: StartGatewaysOptions): Promise<GatewayChild[]> {
  const started: GatewayChild[] = [];
  try {
    for (let i = 0; i < opts.count; i++) started.push(await spawnGateway(opts, i));
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    for (const gw of started) await waitHealthy(opts, gw, deadline);
    return started;
  } catch (err) {
    await Promise.all(started.map((g) => g.child.stop(2000)));
    throw err;
  }
}

/** Starts gateway replica `i` again (same port, name and credentials) and waits until it answers /healthz. */
export async function restartGateway(opts: StartGatewaysOptions, i: number): Promise<ManagedChild> {
  const gw = await spawnGateway(opts, i);
  try {
    await waitHealthy(opts, gw, Date.now() + (opts.timeoutMs ?? 20_000));
  } catch (err) {
    await gw.child.stop(2000);
    throw err;
  }
  return gw.child;
}
