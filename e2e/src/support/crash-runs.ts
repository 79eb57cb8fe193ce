// The runs of a "kill the control plane, compare with a run without kills" test (crash.e2e,
// chaos control-plane-kills): each run has its own nats-server, data dir and connection; every
// engine pid ever observed is remembered so cleanup can kill what a killed `mi up` left behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { ChildSet, pidAlive } from './children.js';
import { observedEnginePids } from './end-state.js';

/** One run: its own server, data dir and connection. */
export interface Run {
  server: TestNatsServer;
  dataDir: string;
  nc: NatsConnection;
}

/** The runs of one test file, their child processes and their stop functions. */
export class CrashRuns {
  readonly children = new ChildSet();
  /** In-process control planes to stop at cleanup (a test removes one it stopped itself). */
  readonly stops: (() => Promise<void>)[] = [];
  private readonly runs: Run[] = [];
  private readonly enginePids = new Set<number>();

  /** `prefix` names the temp data dirs and connections. */
  constructor(private readonly prefix: string) {}

  /** Starts a run's nats-server, data dir and connection. */
  async newRun(tag: string): Promise<Run> {
    const server = await startNatsServer();
    const run: Run = { server, dataDir: mkdtempSync(join(tmpdir(), `${this.prefix}-${tag}-`)), nc: await connectNats({ url: server.url, name: `${this.prefix}-${tag}` }) };
    this.runs.push(run);
    return run;
  }

  /** The engine pids the run's observations name now (remembered for cleanup). */
  async pidsOf(run: Run): Promise<number[]> {
    const pids = await observedEnginePids(run.nc);
    pids.forEach((p) => this.enginePids.add(p));
    return pids;
  }

  /** Stops every child, control plane, server and engine; removes the data dirs. */
  async cleanup(): Promise<void> {
    for (const r of this.runs) await this.pidsOf(r).catch(() => []);
    await this.children.killAll();
    for (const stop of this.stops.splice(0)) await stop();
    for (const r of this.runs.splice(0)) {
      await r.nc.close();
      await r.server.close();
      rmSync(r.dataDir, { recursive: true, force: true });
    }
    for (const pid of this.enginePids) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  }
}
