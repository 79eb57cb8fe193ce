// `mi up`'s own nats-server: JetStream on, data under <dataDir>/nats, loopback only.
import { join } from 'node:path';
import { spawnChild, type ManagedChild } from './child.js';
import { ChildStartError, PortBusyError, StartTimeoutError } from './errors.js';
import { isPortInUse } from './ports.js';

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

  let log = '';
  let settle: ((err?: Error) => void) | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    settle = (err) => (err ? reject(err) : resolve());
  });
  const child = await spawnChild({
    name: 'nats-server',
    command: opts.command ?? 'nats-server',
    args: ['-js', '-sd', join(opts.dataDir, 'nats'), '-a', '127.0.0.1', '-p', String(port)],
    logFile: join(opts.dataDir, 'logs', 'nats-server.log'),
    onStderr: (chunk) => {
      if (!settle) return;
      log += chunk;
      if (log.includes(READY)) settle();
      else if (BIND_ERROR.test(log)) settle(new PortBusyError(port, busyHint));
    },
  }).catch((err: Error) => {
    throw new ChildStartError(`${err.message}. Install it (Debian: apt-get install nats-server) or set --nats-url.`, { cause: err });
  });
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const timer = setTimeout(() => settle?.(new StartTimeoutError(`nats-server was not ready after ${timeoutMs} ms:\n${log}`)), timeoutMs);
  void child.exited.then(({ code }) => settle?.(new ChildStartError(`nats-server exited (code ${code}) before it was ready:\n${log}`)));
  try {
    await ready;
  } catch (err) {
    await child.stop(1000);
    throw err;
  } finally {
    clearTimeout(timer);
    settle = undefined;
    log = '';
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
