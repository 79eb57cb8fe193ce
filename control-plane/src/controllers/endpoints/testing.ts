// Test helpers of the endpoint controller: real simulator processes on free ports.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { allocatePort, killProcess, resolveSimulatorCommand, signalGroup, spawnProcess, waitHealthy, type SpawnedProcess } from '../../actuator/process.js';

/** One running `mi-engine-sim` process. */
export interface SimProcess {
  address: string;
  proc: SpawnedProcess;
  /** SIGSTOP / SIGCONT: the engine stops answering without closing its sockets. */
  freeze(): void;
  thaw(): void;
  kill(): Promise<void>;
}

/** Starts the simulator with `args` on a free port and waits until `healthPath` (vLLM's /health by default; Triton /v2/health/ready, TorchServe /ping) answers 200. */
export async function startSimProcess(args: string[], healthPath = '/health'): Promise<SimProcess> {
  const [node, script] = resolveSimulatorCommand();
  const port = await allocatePort();
  const dir = mkdtempSync(join(tmpdir(), 'mi-endpoints-'));
  const proc = await spawnProcess({ file: node, args: [script, '--host', '127.0.0.1', '--port', String(port), ...args], env: { ...process.env } as Record<string, string> }, join(dir, 'sim.log'));
  const address = `http://127.0.0.1:${port}`;
  const kill = async (): Promise<void> => {
    signalGroup(proc.pid, 'SIGCONT');
    await killProcess(proc, 2000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitHealthy(proc, { url: `${address}${healthPath}`, timeoutMs: 20_000, pollMs: 50 });
  } catch (err) {
    await kill();
    throw err;
  }
  return { address, proc, freeze: () => void signalGroup(proc.pid, 'SIGSTOP'), thaw: () => void signalGroup(proc.pid, 'SIGCONT'), kill };
}

/** A logger that prints nothing (the tests assert on events, not on log lines). */
export const silentLogger = (): winston.Logger => winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });

/** Polls `probe` every 25 ms until it gives a value (not undefined/false); fails after timeoutMs naming `what`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Empties the streams an endpoint-controller test writes, so the next test starts from none. */
export async function purgeEventStreams(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const s of ['MI_DESIRED', 'MI_OBSERVED', 'MI_DECISIONS']) await jsm.streams.purge(s);
}
