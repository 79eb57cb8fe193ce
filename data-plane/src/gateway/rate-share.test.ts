// Global token rate limits across two gateway replicas on one NATS: what one replica admits is
// taken from the other's budget; a per-replica limit stays per replica.
import { expect } from 'chai';
import { request } from 'undici';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startGateway, type GatewayHandle } from './gateway.js';
import { decodeRateShare } from './rate-share.js';
import { modelEntry, putRoute, routesBucket, server, startFakeUpstream, waitFor, type FakeUpstream } from './testing.js';

// 160 characters: estimated 40 input tokens (chars/4).
const PROMPT = 'x'.repeat(160);

async function ask(url: string, model: string): Promise<number> {
  const r = await request(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, prompt: PROMPT, max_tokens: 1 }) });
  await r.body.dump();
  return r.statusCode;
}

async function inputLeft(url: string, model: string): Promise<number | undefined> {
  const r = await request(`${url}/debug/ratelimits`);
  const body = (await r.body.json()) as { models: Record<string, { input?: number }> };
  return body.models[model]?.input;
}

describe('gateway: global rate limits shared between replicas', function () {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let up: FakeUpstream;
  let a: GatewayHandle;
  let b: GatewayHandle;

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    const kv = await routesBucket(nc);
    up = await startFakeUpstream('up');
    await putRoute(kv, modelEntry('shared', [server('s1', [up])], undefined, { rateLimit: { inputTokensPerUnit: 100, unit: 'minute', global: true } }));
    await putRoute(kv, modelEntry('own', [server('s2', [up])], undefined, { rateLimit: { inputTokensPerUnit: 100, unit: 'minute' } }));
    a = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-a', logLevel: 'off', rateSharePeriodMs: 20 });
    b = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-b', logLevel: 'off', rateSharePeriodMs: 20 });
    await Promise.all([a.ready, b.ready]);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await up?.close();
    await nc?.close();
    await nats?.close();
  });

  it('tokens admitted by one replica leave the budget of the other (global), not for a per-replica limit', async () => {
    const seen: unknown[] = [];
    const sub = nc.subscribe('mi.ratelimit.gateway.>', { callback: (_e, m) => void seen.push(decodeRateShare(m.data)) });
    expect(await ask(a.url, 'shared')).to.equal(200);
    expect(await ask(a.url, 'shared')).to.equal(200);
    expect(await ask(a.url, 'own')).to.equal(200);
    expect(await ask(a.url, 'own')).to.equal(200);
    // 80 of 100 tokens spent through A: B learns it from A's message.
    await waitFor('B to take A\'s consumption', async () => ((await inputLeft(b.url, 'shared')) ?? 100) <= 20);
    expect(await ask(b.url, 'shared'), 'a third 40-token request is over the shared budget').to.equal(429);
    expect(await ask(b.url, 'own'), 'per-replica: B still has its own 100').to.equal(200);
    expect(await inputLeft(a.url, 'own')).to.be.at.most(20);
    sub.unsubscribe();
    const fromA = (seen as Array<{ gateway: string; model: string; input: number }>).filter((m) => m.gateway === 'gw-a');
    expect(fromA.reduce((s, m) => s + m.input, 0), 'A shared the 80 tokens it admitted').to.equal(80);
    expect(seen.every((m) => (m as { model: string }).model === 'shared'), 'only global limits are shared').to.equal(true);
  });
});
