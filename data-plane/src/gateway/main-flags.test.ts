// `mi-gateway` flags of the header/request timeouts and the OTLP endpoint, through the real
// binary: bad values exit 1 with one clear line before anything starts; a short
// --headers-timeout-ms answers a client that never finishes its headers with 408.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { waitFor } from './testing.js';

const BIN = fileURLToPath(new URL('../../bin/mi-gateway.js', import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, '--workers', '1', '--port', '0', '--log-level', 'off', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    c.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    c.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('mi-gateway flags: --headers-timeout-ms, --request-timeout-ms, --otlp-endpoint', function () {
  this.timeout(30_000);
  const bad = [
    { args: ['--headers-timeout-ms', '0'], says: 'not a positive integer' },
    { args: ['--headers-timeout-ms', 'soon'], says: 'not a positive integer' },
    { args: ['--request-timeout-ms', '-5'], says: 'not a non-negative integer' },
    { args: ['--otlp-endpoint', 'collector:4318'], says: 'OTLP endpoint must be http or https' },
  ];
  for (const tc of bad) {
    it(`exits 1 on ${tc.args.join(' ')}`, async () => {
      const r = await run(['--nats-url', 'nats://127.0.0.1:1', ...tc.args]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.contain(tc.says);
    });
  }

  it('exits 1 on a bad OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const r = await run(['--nats-url', 'nats://127.0.0.1:1'], { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('OTLP endpoint is not a URL');
  });

  describe('with a running gateway', () => {
    let nats: TestNatsServer;
    let child: ChildProcess | undefined;
    before(async () => {
      nats = await startNatsServer();
    });
    after(async () => {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child!.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await nats?.close();
    });

    it('--headers-timeout-ms 200: a client that sends half its headers gets 408', async () => {
      child = spawn(process.execPath, [BIN, '--workers', '1', '--port', '0', '--log-level', 'off', '--nats-url', nats.url, '--headers-timeout-ms', '200', '--request-timeout-ms', '1000'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      await waitFor('the ready line', () => out.includes('"url"'), 15_000);
      const url = new URL((JSON.parse(out.split('\n')[0]) as { url: string }).url);
      const answer = await new Promise<string>((resolve, reject) => {
        const s = tcpConnect(Number(url.port), '127.0.0.1', () => s.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n'));
        let got = '';
        s.on('data', (b: Buffer) => (got += b.toString()));
        s.on('close', () => resolve(got));
        s.on('error', reject);
      });
      expect(answer).to.match(/^HTTP\/1\.1 408/);
    });
  });
});
