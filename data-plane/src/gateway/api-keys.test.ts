// API keys through a real gateway: real nats-server, fake OpenAI upstream, a key file on disk,
// real HTTP (and the official `openai` client). 401/403/429 in OpenAI's shape, the key-scoped
// model list, live reload, the admin gate of /debug/* and /metrics.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import OpenAI from 'openai';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { formatApiKeyFile, hashApiKey, type ApiKeyRecord } from '@matrixinfer/schemas';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, server, startFakeUpstream, waitFor, type FakeUpstream } from './testing.js';

const ADMIN_TOKEN = 'admin-token-for-tests-0123';
// Deterministic test keys: the gateway only ever sees their hashes in the file.
const KEY = { alice: 'mi-sk-alice-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', bob: 'mi-sk-bob-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', carol: 'mi-sk-carol-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC', old: 'mi-sk-old-OOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOO', ops: 'mi-sk-ops-PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP', dave: 'mi-sk-dave-DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD' };

/** The key file of these tests; `extra` records are appended. */
export function testKeyFile(ids: Array<keyof typeof KEY>): string {
  const records: Record<keyof typeof KEY, Omit<ApiKeyRecord, 'sha256' | 'id'>> = {
    alice: { models: ['llama'] },
    bob: { models: ['qwen-*'], rpm: 2 },
    carol: { models: ['*'], tpm: 5 },
    old: { models: ['*'], expires: '2020-01-01T00:00:00Z' },
    ops: { models: ['*'], admin: true },
    dave: { models: ['llama'] },
  };
  return formatApiKeyFile({ format: 'mi.apikeys/v1', keys: ids.map((id) => ({ id, sha256: hashApiKey(KEY[id]), ...records[id] })) });
}

interface Answer {
  status: number;
  headers: Headers;
  json: { error?: { message: string; type: string; param: string | null; code: unknown } } & Record<string, unknown>;
}

async function call(url: string, key: string | undefined, init: { method?: string; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const res = await fetch(url, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text.startsWith('{') ? (JSON.parse(text) as Answer['json']) : { text } };
}

describe('gateway API keys over HTTP (--api-keys)', function () {
  this.timeout(20_000);
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let up: FakeUpstream;
  let gw: GatewayHandle;
  let closed: GatewayHandle;
  let dir: string;
  let keysPath: string;
  const chat = (model: string): { body: unknown } => ({ body: { model, messages: [{ role: 'user', content: 'x' }] } });

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    const kv = await routesBucket(nc);
    up = await startFakeUpstream('ep-keys');
    for (const m of ['llama', 'qwen-7b', 'private']) await putRoute(kv, modelEntry(m, [server(`${m}-srv`, [up])]));
    dir = mkdtempSync(join(tmpdir(), 'mi-gw-keys-'));
    keysPath = join(dir, 'keys.yaml');
    writeFileSync(keysPath, testKeyFile(['alice', 'bob', 'carol', 'old', 'ops']));
    gw = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-keys', logLevel: 'off', seed: 1, apiKeysFile: keysPath, adminToken: ADMIN_TOKEN });
    // No credential and the loopback rule off: what a public listener without --admin-token gets.
    closed = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-closed', logLevel: 'off', openDebugOnLoopback: false, protectMetrics: true, sharePeers: false });
    await Promise.all([gw.ready, closed.ready]);
    await waitFor('three routes', () => gw.table().entries.size === 3 && closed.table().entries.size === 3);
  });
  after(async () => {
    await gw?.close();
    await closed?.close();
    await up?.close();
    await nc?.close();
    await nats?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const tc of [
    { name: 'no key', key: undefined, message: "You didn't provide an API key" },
    { name: 'an unknown key', key: 'mi-sk-unknown', message: 'Incorrect API key provided.' },
    { name: 'an expired key', key: KEY.old, message: 'The API key has expired.' },
  ]) {
    it(`answers ${tc.name} with 401 in OpenAI's shape, before any upstream work`, async () => {
      const before = up.received.length;
      const r = await call(`${gw.url}/v1/chat/completions`, tc.key, chat('llama'));
      expect(r.status).to.equal(401);
      expect(r.json.error).to.deep.include({ type: 'invalid_request_error', param: null, code: 'invalid_api_key' });
      expect(r.json.error!.message).to.include(tc.message);
      expect(Object.keys(r.json.error!)).to.deep.equal(['message', 'type', 'param', 'code']);
      expect(r.headers.get('www-authenticate')).to.match(/^Bearer /);
      expect(r.headers.get('x-request-id')).to.be.a('string');
      if (tc.key !== undefined) expect(JSON.stringify(r.json)).to.not.include(tc.key);
      expect(up.received.length).to.equal(before);
      expect((await call(`${gw.url}/v1/models`, tc.key)).status).to.equal(401);
    });
  }

  it('answers any other Authorization value with a well-formed 401 (property, 200 runs over HTTP)', async () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 120 });
    const near = fc.constantFrom(...Object.values(KEY)).chain((k) => fc.nat(k.length - 1).map((i) => k.slice(0, i) + (k[i] === 'A' ? 'B' : 'A') + k.slice(i + 1)));
    await fc.assert(
      fc.asyncProperty(fc.oneof(printable, printable.map((t) => `Bearer ${t}`), near.map((k) => `Bearer ${k}`)), async (authorization) => {
        const res = await fetch(`${gw.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: '{"model":"llama","prompt":"x"}' });
        const body = (await res.json()) as { error: { code: string; type: string } };
        expect(res.status, authorization).to.equal(401);
        expect(body.error).to.include({ code: 'invalid_api_key', type: 'invalid_request_error' });
      }),
      { numRuns: 200, seed: 18 },
    );
  });

  it('closes the connection after a 401 whose body it would otherwise have to drain past the cap', async () => {
    const refuseWith = (headers: Record<string, string>, body: string): Promise<{ status: number; connection: string | undefined }> =>
      new Promise((resolve, reject) => {
        const req = request(`${gw.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
        });
        req.on('error', reject);
        // Only the start of a declared huge body is sent: the 401 must not wait for the rest.
        req.end(body);
      });
    expect(await refuseWith({ 'content-length': String(64 * 1024 * 1024) }, '{"model":')).to.deep.equal({ status: 401, connection: 'close' });
    expect(await refuseWith({ 'transfer-encoding': 'chunked' }, '{"model":')).to.deep.equal({ status: 401, connection: 'close' });
    const small = '{"model":"llama","prompt":"x"}';
    expect(await refuseWith({ 'content-length': String(small.length) }, small)).to.deep.equal({ status: 401, connection: 'keep-alive' });
  });

  it('serves a key inside its scope (openai client) and lists only its models', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY.alice, maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.choices[0].message.content).to.equal('t0 t1 t2');
    expect(response.headers.get('x-mi-route')).to.equal('llama-route/default/llama-srv');
    expect((await client.models.list()).data.map((m) => m.id)).to.deep.equal(['llama']);
    const bob = await call(`${gw.url}/v1/models`, KEY.bob);
    expect((bob.json.data as Array<{ id: string }>).map((m) => m.id)).to.deep.equal(['qwen-7b']);
    const ops = await call(`${gw.url}/v1/models`, KEY.ops);
    expect((ops.json.data as Array<{ id: string }>).map((m) => m.id)).to.deep.equal(['llama', 'private', 'qwen-7b']);
    // The key is not forwarded to the engine.
    expect(up.received.at(-1)!.headers.authorization).to.equal(undefined);
  });

  it('answers 403 for a model outside the key, whether or not the model exists', async () => {
    for (const model of ['private', 'no-such-model']) {
      const r = await call(`${gw.url}/v1/chat/completions`, KEY.alice, chat(model));
      expect(r.status, model).to.equal(403);
      expect(r.json.error).to.deep.equal({ message: `API key \`alice\` does not have access to model \`${model}\``, type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
    }
  });

  it("answers 429 with OpenAI's rate-limit headers once a key's rpm is spent", async () => {
    // Admitted answers carry the key's limits too, as OpenAI's do: what is left after this request.
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 2; i++) {
      const ok = await call(`${gw.url}/v1/completions`, KEY.bob, { body: { model: 'qwen-7b', prompt: 'x' } });
      expect(ok.status).to.equal(200);
      expect(ok.headers.get('x-ratelimit-limit-requests')).to.equal('2');
      remaining.push(ok.headers.get('x-ratelimit-remaining-requests'));
    }
    expect(remaining).to.deep.equal(['1', '0']);
    const r = await call(`${gw.url}/v1/completions`, KEY.bob, { body: { model: 'qwen-7b', prompt: 'x' } });
    expect(r.status).to.equal(429);
    expect(r.json.error).to.deep.include({ type: 'requests', code: 'rate_limit_exceeded', param: null });
    expect(r.headers.get('retry-after')).to.equal('30');
    expect(r.headers.get('x-ratelimit-limit-requests')).to.equal('2');
    expect(r.headers.get('x-ratelimit-remaining-requests')).to.equal('0');
    expect(r.headers.get('x-ratelimit-reset-requests')).to.match(/^\d+(m\d+)?s$/);
    // Other keys are not affected; a key without limits gets no x-ratelimit-* headers.
    const other = await call(`${gw.url}/v1/completions`, KEY.ops, { body: { model: 'qwen-7b', prompt: 'x' } });
    expect(other.status).to.equal(200);
    expect(other.headers.get('x-ratelimit-limit-requests')).to.equal(null);
  });

  it("charges a key's tpm with the completion tokens the engine reports", async () => {
    // tpm 5; each answer reports 3 completion tokens: the third request finds the key in debt.
    const statuses: number[] = [];
    let last: Answer | undefined;
    for (let i = 0; i < 3; i++) {
      last = await call(`${gw.url}/v1/chat/completions`, KEY.carol, chat('llama'));
      statuses.push(last.status);
    }
    expect(statuses).to.deep.equal([200, 200, 429]);
    expect(last!.json.error).to.deep.include({ type: 'tokens', code: 'rate_limit_exceeded' });
    expect(last!.headers.get('x-ratelimit-limit-tokens')).to.equal('5');
  });

  it('gates /debug/* behind the admin token or an admin key; health stays open', async () => {
    expect((await call(`${gw.url}/healthz`, undefined)).status).to.equal(200);
    expect((await call(`${gw.url}/readyz`, undefined)).status).to.equal(200);
    for (const [key, status] of [[undefined, 401], [KEY.alice, 401], ['wrong-admin-token-000000', 401], [ADMIN_TOKEN, 200], [KEY.ops, 200]] as const) {
      const r = await call(`${gw.url}/debug/routes`, key);
      expect(r.status, String(key)).to.equal(status);
      if (status === 401) expect(r.json.error?.code).to.equal('invalid_api_key');
    }
    const limits = await call(`${gw.url}/debug/ratelimits`, ADMIN_TOKEN);
    expect((limits.json.apiKeys as { keys: number; limits: Record<string, unknown> }).keys).to.equal(5);
    expect(Object.keys((limits.json.apiKeys as { limits: Record<string, unknown> }).limits).sort()).to.deep.equal(['bob', 'carol']);
  });

  it('serves /metrics without a key, labelled by key id only', async () => {
    const text = String((await call(`${gw.url}/metrics`, undefined)).json.text);
    expect(text).to.match(/mi_gateway_auth_refusals_total\{reason="missing"\} [1-9]/);
    expect(text).to.match(/mi_gateway_auth_refusals_total\{reason="model_not_allowed"\} [1-9]/);
    expect(text).to.match(/mi_gateway_key_requests_total\{key="alice"\} [1-9]/);
    for (const k of Object.values(KEY)) {
      expect(text).to.not.include(k);
      expect(text).to.not.include(hashApiKey(k));
    }
  });

  it('turns /debug/* (and a protected /metrics) off without a credential when not loopback-open', async () => {
    expect((await call(`${closed.url}/debug/routes`, undefined)).status).to.equal(404);
    expect((await call(`${closed.url}/debug/routes`, ADMIN_TOKEN)).status).to.equal(404);
    expect((await call(`${closed.url}/metrics`, undefined)).status).to.equal(404);
    // Without --api-keys the OpenAI endpoints stay open.
    expect((await call(`${closed.url}/v1/chat/completions`, undefined, chat('llama'))).status).to.equal(200);
    expect((await call(`${closed.url}/v1/models`, undefined)).status).to.equal(200);
  });

  it('follows the key file live: an added key works, a removed one is refused, a bad file changes nothing', async () => {
    writeFileSync(keysPath, testKeyFile(['bob', 'carol', 'old', 'ops', 'dave']));
    await waitFor('dave admitted', async () => (await call(`${gw.url}/v1/chat/completions`, KEY.dave, chat('llama'))).status === 200);
    expect((await call(`${gw.url}/v1/chat/completions`, KEY.alice, chat('llama'))).status).to.equal(401);
    // bob's spent rpm survives a reload that keeps his limits.
    expect((await call(`${gw.url}/v1/completions`, KEY.bob, { body: { model: 'qwen-7b', prompt: 'x' } })).status).to.equal(429);
    const metric = async (): Promise<string> => String((await call(`${gw.url}/metrics`, undefined)).json.text);
    expect(await metric()).to.match(/mi_gateway_api_key_loads_total\{result="applied"\} 2/);
    writeFileSync(keysPath, 'format: mi.apikeys/v1\nkeys: [{id: dave}]\n');
    await waitFor('the bad file rejected', async () => /mi_gateway_api_key_loads_total\{result="rejected"\} 1/.test(await metric()));
    expect((await call(`${gw.url}/v1/chat/completions`, KEY.dave, chat('llama'))).status).to.equal(200);
  });
});
