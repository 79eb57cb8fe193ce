// Every error the gateway answers, end to end, in the OpenAI shape.
import { expect } from 'chai';
import net from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, server, startFakeUpstream, waitFor, type FakeUpstream } from './testing.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { error?: { message: string; type: string; param: string | null; code: number } } & Record<string, unknown>;
}

describe('gateway e2e: error answers', function () {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let kv: KV;
  let gw: GatewayHandle;
  let ok: FakeUpstream;
  let slow: FakeUpstream;
  let failing: FakeUpstream;
  let dead: FakeUpstream;

  async function post(body: unknown, path = '/v1/chat/completions', headers: Record<string, string> = {}): Promise<Answer> {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const r = await request(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw });
    const text = await r.body.text();
    return { status: r.statusCode, headers: r.headers, body: JSON.parse(text) as Answer['body'] };
  }

  function expectError(a: Answer, status: number, type?: string): void {
    expect(a.status, JSON.stringify(a.body)).to.equal(status);
    expect(a.body.error).to.be.an('object');
    expect(Object.keys(a.body.error!).sort()).to.deep.equal(['code', 'message', 'param', 'type']);
    expect(a.body.error!.code).to.equal(status);
    if (type) expect(a.body.error!.type).to.equal(type);
    expect(a.headers['content-type']).to.equal('application/json');
    expect(a.headers['x-request-id']).to.be.a('string');
  }

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    kv = await routesBucket(nc);
    ok = await startFakeUpstream('ok');
    slow = await startFakeUpstream('slow', { delayMs: 2000 });
    failing = await startFakeUpstream('failing', { status: 500 });
    dead = await startFakeUpstream('dead');
    await dead.kill(); // its port now refuses connections
    await putRoute(kv, modelEntry('llama', [server('llama-srv', [ok])]));
    await putRoute(kv, modelEntry('empty', [server('empty-srv', [])]));
    await putRoute(kv, modelEntry('dead', [server('dead-srv', [dead])]));
    await putRoute(kv, modelEntry('slow', [server('slow-srv', [slow], { trafficPolicy: { timeoutMs: 150 } })]));
    await putRoute(kv, modelEntry('failing', [server('failing-srv', [failing])]));
    await putRoute(kv, modelEntry('retried', [server('retried-srv', [failing, ok], { trafficPolicy: { retry: { attempts: 1, retryIntervalMs: 5 } } })]));
    await putRoute(kv, modelEntry('limited', [server('limited-srv', [ok])], undefined, { rateLimit: { inputTokensPerUnit: 10, unit: 'minute' } }));
    // Holding for scale from zero is off here: 'empty' pins the immediate 503 (hold.test.ts covers holding).
    gw = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-errors', logLevel: 'off', maxBodyBytes: 1024, seed: 7, holdTimeoutMs: 0 });
    await gw.ready;
  });
  after(async () => {
    await gw?.close();
    for (const f of [ok, slow, failing, dead]) await f?.close();
    await nc?.close();
    await nats?.close();
  });

  it('unknown model: 404 NotFoundError with param model', async () => {
    const a = await post({ model: 'nope', messages: [] });
    expectError(a, 404, 'NotFoundError');
    expect(a.body.error!.param).to.equal('model');
  });

  it('malformed JSON: 400', async () => expectError(await post('{"model": "llama",'), 400, 'invalid_request_error'));
  it('missing model: 400', async () => expectError(await post({ messages: [] }), 400, 'invalid_request_error'));
  it('non-string model: 400', async () => expectError(await post({ model: ['llama'] }), 400, 'invalid_request_error'));

  it('body over the cap: 413 (declared length and chunked)', async () => {
    expectError(await post({ model: 'llama', prompt: 'x'.repeat(2000) }, '/v1/completions'), 413);
    const big = JSON.stringify({ model: 'llama', prompt: 'y'.repeat(5000) });
    const r = await request(`${gw.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Readable.from((function* () {
        for (let i = 0; i < big.length; i += 500) yield Buffer.from(big.slice(i, i + 500));
      })()),
    });
    expect(r.statusCode).to.equal(413);
    await r.body.text();
  });

  it('no ready endpoint: 503', async () => expectError(await post({ model: 'empty', messages: [] }), 503));
  it('connection refused: 502', async () => expectError(await post({ model: 'dead', messages: [] }), 502, 'upstream_error'));

  it('upstream slower than the ModelServer timeout: 504', async () => {
    const t0 = Date.now();
    expectError(await post({ model: 'slow', messages: [] }), 504, 'timeout_error');
    expect(Date.now() - t0).to.be.lessThan(1500);
    // The abandoned upstream request is cancelled, not left running.
    await waitFor('upstream cancel', () => slow.running === 0, 200);
  });

  it('upstream 5xx with no retry left is passed through as the engine said it', async () => {
    const a = await post({ model: 'failing', messages: [] });
    expect(a.status).to.equal(500);
    expect(a.body.error!.message).to.equal('fake failing failing');
    expect(a.headers['x-mi-endpoint']).to.equal('failing');
  });

  it('5xx before any byte is retried on the next endpoint', async () => {
    const before = failing.received.length;
    for (let i = 0; i < 10; i++) {
      const a = await post({ model: 'retried', messages: [{ role: 'user', content: 'x' }] });
      expect(a.status).to.equal(200);
      expect(a.headers['x-mi-endpoint']).to.equal('ok');
    }
    const m = await (await fetch(`${gw.url}/metrics`)).text();
    const retries = Number(/^mi_gateway_retries_total (\d+)/m.exec(m)?.[1]);
    expect(retries).to.equal(failing.received.length - before);
    expect(retries).to.be.greaterThan(0);
  });

  it('token rate limit: 429 with Retry-After once the input budget is spent', async () => {
    const first = await post({ model: 'limited', messages: [{ role: 'user', content: 'z'.repeat(100) }] });
    expect(first.status).to.equal(200);
    const second = await post({ model: 'limited', messages: [{ role: 'user', content: 'z'.repeat(100) }] });
    expectError(second, 429, 'rate_limit_error');
    expect(Number(second.headers['retry-after'])).to.equal(150);
  });

  // Regression (gateway fuzz): Node's default answer to these was a bodyless 400/431.
  for (const tc of [
    { name: 'raw garbage', bytes: '\u0016\u0003\u0001 hello', status: 400 },
    { name: 'a 20 KB header', bytes: `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`, status: 431 },
    { name: 'broken chunked encoding', bytes: 'POST /v1/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', status: 400 },
  ]) {
    it(`a request the HTTP parser refuses (${tc.name}): ${tc.status} in the same shape, then closed`, async () => {
      const raw = await new Promise<string>((resolve) => {
        let got = '';
        const sock = net.connect(gw.port, '127.0.0.1', () => sock.end(tc.bytes, 'latin1'));
        sock.on('data', (b: Buffer) => (got += b.toString('latin1')));
        sock.on('error', () => {});
        sock.on('close', () => resolve(got));
      });
      expect(raw).to.match(new RegExp(`^HTTP/1\\.1 ${tc.status} `));
      expect(raw.toLowerCase()).to.contain('connection: close');
      const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Answer['body'];
      expect(Object.keys(body.error!).sort()).to.deep.equal(['code', 'message', 'param', 'type']);
      expect(body.error!.code).to.equal(tc.status);
    });
  }

  it('unknown path: 404 in the same shape', async () => {
    const r = await request(`${gw.url}/v2/nothing`);
    expect(r.statusCode).to.equal(404);
    const body = (await r.body.json()) as Answer['body'];
    expect(body.error!.type).to.equal('NotFoundError');
  });

  it('counts every answer by model and code in /metrics', async () => {
    const m = await (await fetch(`${gw.url}/metrics`)).text();
    expect(m).to.include('mi_gateway_requests_total{model="",code="404"}');
    expect(m).to.include('mi_gateway_requests_total{model="slow",code="504"}');
    expect(m).to.include('mi_gateway_requests_total{model="limited",code="429"}');
    expect(m).to.match(/mi_gateway_upstream_errors_total\{kind="connect"\} \d+/);
  });
});
