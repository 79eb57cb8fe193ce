// Gateway replicas of `mi up`: each one is the data plane's `mi-gateway` bin as a child process.
// The control plane never imports data-plane code; they meet only through NATS.
import { existsSync, realpathSync } from 'node:fs';
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
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts `count` gateways on basePort, basePort+1, ... and waits until each answers /healthz. */
export async function startGateways(opts: StartGatewaysOptions): Promise<GatewayChild[]> {
  const started: GatewayChild[] = [];
  try {
    for (let i = 0; i < opts.count; i++) {
      const port = opts.basePort + i;
      const name = `gw-${i}`;
      if (await isPortInUse(port)) throw new PortBusyError(port, `Choose other gateway ports with --gateway-port.`);
      const child = await spawnChild({
        name,
        command: process.execPath,
        args: [opts.bin, '--port', String(port), '--nats-url', opts.natsUrl, '--name', name],
        // `mi up` scales with --gateways (one process each) unless MI_GATEWAY_WORKERS asks for more.
        env: { MI_GATEWAY_PORT: String(port), NATS_URL: opts.natsUrl, MI_GATEWAY_WORKERS: process.env.MI_GATEWAY_WORKERS ?? '1' },
        logFile: join(opts.dataDir, 'logs', `${name}.log`),
      });
      const url = `http://127.0.0.1:${port}`;
      started.push({ name, port, url, child });
    }
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    for (const gw of started) {
      const ok = await pollUntil(async () => {
        if (!gw.child.running()) throw new ChildStartError(`${gw.name} exited before it was ready; see ${join(opts.dataDir, 'logs', `${gw.name}.log`)}`);
        return healthy(gw.url);
      }, deadline);
      if (!ok) throw new StartTimeoutError(`${gw.name} did not answer ${gw.url}/healthz in time; see ${join(opts.dataDir, 'logs', `${gw.name}.log`)}`);
    }
    return started;
  } catch (err) {
    await Promise.all(started.map((g) => g.child.stop(2000)));
    throw err;
  }
}
