import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startContainer, type ContainerRunner } from './runner.js';
import { simulatorLaunch } from './launch.js';
import type { ContainerRun } from './launch.js';
import { freePort } from '@matrixinfer/events/testing';

const SIM = fileURLToPath(new URL('../../../../engine-sim/bin/mi-engine-sim.js', import.meta.url));

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

// A free port on `ip` (listen on 0, close): no fixed ports in tests.

describe('stand-in kubelet: container runner (real processes)', function () {
  this.timeout(30_000);
  const runners: ContainerRunner[] = [];
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.kill(2000)));
  });

  it('runs the engine simulator on its own loopback IP and turns Ready from its /health probe', async function () {
    if (!existsSync(SIM)) this.skip(); // the engine-sim workspace is not installed
    const ip = '127.0.3.7';
    const port = await freePort(ip);
    const launch = simulatorLaunch({ name: 'engine', image: 'sim', command: ['mi-engine-sim'], args: ['--model', 'm'], ports: [{ containerPort: port }] }, ip, [process.execPath, SIM], process.env)!;
    const seen: ContainerRun[] = [];
    const r = startContainer({ launch, probeUrl: `http://${ip}:${port}/health`, probePeriodMs: 100, restartPolicy: 'Always', restartBackoffMs: 100, onChange: (s) => seen.push(s), now: () => new Date().toISOString() });
    runners.push(r);
    await until(() => r.run().ready);
    const models = await fetch(`http://${ip}:${port}/v1/models`);
    expect(models.status).to.equal(200);
    expect(seen[0]).to.include({ state: 'running', ready: false });
  });

  it('restarts a crashing container (Always) and counts restarts; Never ends it', async () => {
    const crash = { file: process.execPath, args: ['-e', 'process.exit(3)'], env: {} };
    const always = startContainer({ launch: crash, probePeriodMs: 100, restartPolicy: 'Always', restartBackoffMs: 50, onChange: () => undefined, now: () => '' });
    runners.push(always);
    await until(() => always.run().restarts >= 2);
    const never = startContainer({ launch: crash, probePeriodMs: 100, restartPolicy: 'Never', restartBackoffMs: 50, onChange: () => undefined, now: () => '' });
    runners.push(never);
    await until(() => never.run().state === 'exited');
    expect(never.run()).to.include({ exitCode: 3, restarts: 0 });
  });

  it('kill stops the process group and no restart follows', async () => {
    const r = startContainer({ launch: { file: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], env: {} }, probePeriodMs: 100, restartPolicy: 'Always', restartBackoffMs: 10, onChange: () => undefined, now: () => '' });
    const pid = r.pid()!;
    await r.kill(1000);
    expect(() => process.kill(pid, 0)).to.throw();
  });
});
