// `mi-gateway --workers 2` as a real child process on a real nats-server: one ready line, both
// workers answer on the one port and follow mi-routes, a killed worker is re-forked, SIGTERM
// drains all of them and nothing is left running.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { modelEntry, putRoute, routesBucket, server, startFakeUpstream, waitFor, type FakeUpstream } from '../testing.js';
import { workerName } from './primary.js';

const BIN = fileURLToPath(new URL('../../../bin/mi-gateway.js', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** GET over a fresh connection each time, so the primary's round-robin picks a worker per call. */
function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    }).on('error', reject);
  });
}

describe('mi-gateway --workers (node:cluster primary)', function () {
  this.timeout(60_000);
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let upstream: FakeUpstream;
  let child: ChildProcess | undefined;
  let out = '';
  const lines = (): Array<Record<string, unknown>> => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    upstream = await startFakeUpstream('e-multi', { tokens: 4 });
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await upstream?.close();
    await nc?.close();
    await nats?.close();
  });

  it('serves from both workers on one port, re-forks a killed one, and drains all on SIGTERM', async () => {
    child = spawn(process.execPath, [BIN, '--workers', '2', '--port', '0', '--host', '127.0.0.1', '--nats-url', nats.url, '--name', 'gw-multi', '--log-level', 'off'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    let errOut = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (errOut += c));
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));

    await waitFor('the one ready line', () => lines().some((l) => 'url' in l), 30_000);
    const readyLines = lines().filter((l) => 'workers' in l);
    expect(readyLines, out).to.have.length(1);
    const ready = readyLines[0] as { gateway: string; workers: number[]; url: string };
    expect(ready.gateway).to.equal('gw-multi');
    expect(ready.workers).to.have.length(2);
    expect(Object.keys(ready).at(-1), 'url last, as scripts match it').to.equal('url');

    const names = new Set<string>();
    for (let i = 0; i < 20 && names.size < 2; i++) names.add(String((await getJson(`${ready.url}/healthz`)).body.gateway));
    expect([...names].sort()).to.deep.equal([workerName('gw-multi', 0), workerName('gw-multi', 1)]);

    // Each worker follows mi-routes on its own.
    const kv = await routesBucket(nc);
    await putRoute(kv, modelEntry('m-multi', [server('srv', [upstream])]));
    await waitFor('every worker lists the model', async () => {
      const seen = await Promise.all(Array.from({ length: 6 }, () => getJson(`${ready.url}/v1/models`)));
      return seen.every((r) => JSON.stringify(r.body).includes('m-multi'));
    }, 10_000);

    // A streamed completion goes through a worker to the engine and back.
    const res = await fetch(`${ready.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm-multi', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).to.equal(200);
    const sse = await res.text();
    expect(sse.match(/^data: \{/gm), sse).to.have.length.of.at.least(4);
    expect(sse.trimEnd().endsWith('data: [DONE]'), sse).to.equal(true);
    expect(upstream.received.map((r) => r.path)).to.include('/v1/chat/completions');

    // A worker killed outside is re-forked into the same slot with a new pid.
    process.kill(ready.workers[0], 'SIGKILL');
    await waitFor('the restart line', () => lines().some((l) => 'restartedWorker' in l), 20_000);
    const restarted = lines().find((l) => 'restartedWorker' in l) as { restartedWorker: number; slot: number };
    expect(restarted.slot).to.equal(0);
    expect(restarted.restartedWorker).to.not.equal(ready.workers[0]);
    expect(errOut).to.include('gateway worker exited; restarting');
    const names2 = new Set<string>();
    for (let i = 0; i < 20 && names2.size < 2; i++) names2.add(String((await getJson(`${ready.url}/healthz`)).body.gateway));
    expect(names2.size).to.equal(2);

    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
    for (const pid of [ready.workers[1], restarted.restartedWorker]) {
      await waitFor(`worker ${pid} gone`, () => !alive(pid), 10_000);
    }
  });

  it('stops with exit code 1 when a worker cannot start, instead of re-forking it forever', async () => {
    // The NATS port is taken: every worker fails to listen.
    const port = new URL(nats.url).port;
    const c = spawn(process.execPath, [BIN, '--workers', '2', '--port', port, '--host', '127.0.0.1', '--nats-url', nats.url, '--name', 'gw-bad', '--log-level', 'off'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    c.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
    const code = await new Promise<number | null>((r) => c.once('exit', (x) => r(x)));
    expect(code, err).to.equal(1);
    expect(err).to.include('before the gateway was ready');
  });
});
