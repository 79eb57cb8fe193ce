// `mi up` as a person runs it (a child process with its own nats-server and a gateway): each of
// Ctrl-C (SIGINT), SIGTERM and a closed terminal (SIGHUP) stops everything it started.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processRunning } from '../actuator/process.js';
import { REPO_ROOT } from '../cli/testing.js';
import { freePort } from '@matrixinfer/events/testing';


describe('mi up stops what it started on SIGINT, SIGTERM and SIGHUP', function () {
  this.timeout(60_000);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(signal, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'mi-up-signal-'));
      const [natsPort, gatewayPort] = [await freePort(), await freePort()];
      const child = spawn(process.execPath, [join(REPO_ROOT, 'control-plane', 'bin', 'mi.js'), 'up', '--no-quickstart', '--nats-port', String(natsPort),
        '--gateways', '1', '--gateway-port', String(gatewayPort), '--api-port', '0', '--data-dir', dataDir], {
        cwd: REPO_ROOT,
        env: { ...process.env, NATS_URL: '', MI_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let pids: number[] = [];
      try {
        const deadline = Date.now() + 45_000;
        while (!out.includes('Press Ctrl-C to stop')) {
          if (child.exitCode !== null || Date.now() > deadline) throw new Error(`mi up did not get ready:\n${out}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        // nats-server and the gateway, as recorded for the orphan reaper.
        pids = readFileSync(join(dataDir, 'children.pids'), 'utf8').split('\n').filter(Boolean).map((l) => Number(l.split(' ')[0]));
        expect(pids).to.have.length(2);
        expect(pids.every(processRunning)).to.equal(true);
        child.kill(signal);
        expect(await exited, out).to.equal(0);
        expect(pids.filter(processRunning), 'children still running').to.deep.equal([]);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        // A failed run must not leave its nats-server or gateway behind.
        for (const pid of pids.filter(processRunning)) process.kill(pid, 'SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});
