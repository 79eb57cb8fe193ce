// `mi up`'s own nats-server: JetStream on, data under <dataDir>/nats, loopback only; with a
// config file, users and TLS too (local-security.ts).
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnChild, type ManagedChild } from './child.js';
import { ChildStartError, PortBusyError, StartTimeoutError } from './errors.js';
import { isPortInUse, pollUntil } from './ports.js';

export interface NatsChild {
  url: string;
  port: number;
  child: ManagedChild;
  stop(): Promise<void>;
}

export interface StartNatsChildOptions {
  dataDir: string;
  port?: number;
  /** nats-server binary; default `nats-server` from PATH. */
  command?: string;
  timeoutMs?: number;
  /** nats-server config file (authorization and tls blocks); flags still set port, address and store. */
  configFile?: string;
}

const READY = 'Server is ready';
const BIND_ERROR = /address already in use|Error listening on port/;

/** Starts nats-server and resolves once it accepts clients; PortBusyError when the port is taken. */
export async function startNatsChild(opts: StartNatsChildOptions): Promise<NatsChild> {
  const port = opts.port ?? 4222;
  const busyHint =
    `Is another nats-server (or an earlier \`mi up\`) running? Stop it, or use it with ` +
    `\`mi up --nats-url nats://127.0.0.1:${port}\` (or NATS_URL=...).`;
  if (await isPortInUse(port)) throw new PortBusyError(port, busyHint);

  const logFile = join(opts.dataDir, 'logs', 'nats-server.log');
  mkdirSync(dirname(logFile), { recursive: true });
  // The log is appended across runs: only what this run writes counts.
  const offset = existsSync(logFile) ? statSync(logFile).size : 0;
  const logSoFar = () => readFileSync(logFile).subarray(offset).toString();
  const child = await spawnChild({
    name: 'nats-server',
    command: opts.command ?? 'nats-server',
    args: [...(opts.configFile ? ['-c', opts.configFile] : []), '-js', '-sd', join(opts.dataDir, 'nats'), '-a', '127.0.0.1', '-p', String(port)],
    logFile,
  }).catch((err: Error) => {
    throw new ChildStartError(`${err.message}. Install it (Debian: apt-get install nats-server) or set --nats-url.`, { cause: err });
  });
  const timeoutMs = opts.timeoutMs ?? 15_000;
  try {
    // JetStream is usable once the server logs that it is ready (after it listens).
    const ready = await pollUntil(async () => {
      const log = logSoFar();
      if (log.includes(READY)) return true;
      if (BIND_ERROR.test(log)) throw new PortBusyError(port, busyHint);
      if (!child.running()) throw new ChildStartError(`nats-server exited (${JSON.stringify(await child.exited)}) before it was ready:\n${log}`);
      return false;
    }, Date.now() + timeoutMs, 50);
    if (!ready) throw new StartTimeoutError(`nats-server was not ready after ${timeoutMs} ms; see ${logFile}`);
  } catch (err) {
    await child.stop(1000);
    throw err;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    child,
    async stop() {
      await child.stop();
    },
  };
}
