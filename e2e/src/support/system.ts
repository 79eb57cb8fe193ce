// The system under test, assembled as `mi up` assembles it: the control plane (controllers,
// projector, local actuator, collector) on the test nats-server, and gateway replicas as child
// processes of the data plane's `mi-gateway` bin. The actuator's handle is kept so tests can
// find the pid of a replica.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { defaultComponents, startControlPlane, startLocalActuator, type ControlPlane, type LocalActuator } from '@matrixinfer/control-plane';
import { connectNats } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { pidAlive, type ChildSet, type RunningChild } from './children.js';
import { REPO_ROOT } from './mi.js';
import { routesKv } from './nats.js';
import { waitFor } from './poll.js';

/** The gateway bin shim (`node_modules/.bin/mi-gateway`). */
export const GATEWAY_BIN = join(REPO_ROOT, 'data-plane', 'bin', 'mi-gateway.js');

export interface InProcessControlPlane {
  cp: ControlPlane;
  actuator: LocalActuator;
  stop(): Promise<void>;
}

/** A logger writing JSON lines to `<dataDir>/logs/<name>.log` (read them when a test fails). */
export function fileLogger(dataDir: string, name: string): winston.Logger {
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  return winston.createLogger({
    level: process.env.MI_E2E_LOG_LEVEL ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.File({ filename: join(dataDir, 'logs', `${name}.log`) })],
  });
}

/** Starts the default control-plane components in this process (API on a free port), keeping the actuator's handle. */
export async function startInProcessControlPlane(natsUrl: string, dataDir: string): Promise<InProcessControlPlane> {
  const logger = fileLogger(dataDir, 'control-plane');
  let actuator: LocalActuator | undefined;
  const components = defaultComponents().map((c) =>
    c.name !== 'actuator'
      ? c
      : {
          name: c.name,
          start: async (ctx: { nc: ControlPlane['nc']; dataDir: string; logger: winston.Logger }) => {
            actuator = await startLocalActuator({ nc: ctx.nc, dataDir: ctx.dataDir, logger: ctx.logger, handleSignals: false, stopGraceMs: 2000 });
            return actuator;
          },
        },
  );
  const cp = await startControlPlane({ natsUrl, dataDir, apiPort: 0, logger, components });
  if (!actuator) throw new Error('the control plane did not start the local actuator');
  return {
    cp,
    actuator,
    stop: async () => {
      await cp.stop();
      logger.close();
    },
  };
}

export interface GatewayProcess {
  child: RunningChild;
  url: string;
}

/** Starts one `mi-gateway` child on a free port (with `extraArgs`) and waits for its /healthz. */
export async function startGatewayProcess(children: ChildSet, natsUrl: string, name: string, extraArgs: string[] = []): Promise<GatewayProcess> {
  const child = children.spawn(name, process.execPath, [GATEWAY_BIN, '--port', '0', '--workers', '1', '--nats-url', natsUrl, '--name', name, '--log-level', 'warn', ...extraArgs], { cwd: REPO_ROOT });
  // The gateway prints one JSON line with its URL once it listens.
  const url = await waitFor(
    `${name} to print its URL`,
    () => {
      if (!child.running()) throw new Error(`${name} exited: ${child.output()}`);
      const m = /\{"gateway":[^\n]*"url":"([^"]+)"\}/.exec(child.output());
      return m ? m[1] : undefined;
    },
    { timeoutMs: 30_000, describe: () => child.output() },
  );
  await waitFor(`${name} /healthz`, async () => (await fetch(`${url}/healthz`)).ok, { timeoutMs: 10_000 });
  return { child, url };
}

/** One suite's whole system: nats-server, data dir, in-process control plane, one gateway process, a client connection. */
export interface E2eSystem {
  server: TestNatsServer;
  dataDir: string;
  /** Undefined once stopped (a suite may stop it early to test a restart). */
  sys: InProcessControlPlane | undefined;
  gw: GatewayProcess;
  nc: NatsConnection;
  kv: KV;
  /** Stops the control plane (idempotent). */
  stopControlPlane(): Promise<void>;
  /** Stops everything and removes the data dir; pids of processes seen are SIGKILLed if still alive. */
  close(children: ChildSet, seenPids: Iterable<number>): Promise<void>;
}

/** Starts an E2eSystem whose gateway is named `name` (also the data dir prefix and the client name). */
export async function startE2eSystem(children: ChildSet, name: string, gatewayArgs: string[] = []): Promise<E2eSystem> {
  const server = await startNatsServer();
  const dataDir = mkdtempSync(join(tmpdir(), `mi-${name}-`));
  let sys: InProcessControlPlane | undefined;
  let nc: NatsConnection | undefined;
  let gw: GatewayProcess;
  let kv: KV;
  try {
    sys = await startInProcessControlPlane(server.url, dataDir);
    gw = await startGatewayProcess(children, server.url, `gw-${name}`, gatewayArgs);
    nc = await connectNats({ url: server.url, name });
    kv = await routesKv(nc);
  } catch (err) {
    // A half-started system is taken down here: the suite's after() never sees it.
    await children.killAll();
    await sys?.stop();
    await nc?.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const conn = nc;
  const e: E2eSystem = {
    server,
    dataDir,
    sys,
    gw,
    nc: conn,
    kv,
    async stopControlPlane() {
      const s = e.sys;
      e.sys = undefined;
      await s?.stop();
    },
    async close(ch, seenPids) {
      await ch.killAll();
      await e.stopControlPlane();
      await conn.close();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
      // Last line of defence: nothing the suite started may outlive it.
      for (const pid of seenPids) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    },
  };
  return e;
}
