// Output-token limits on streams, through the real engine simulator: a streaming client that
// never asks for usage is counted from the stream itself and cut when the budget runs out.
import { expect } from 'chai';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startSimulator, type RunningSimulator } from '@matrixinfer/engine-sim';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, server, waitFor } from './testing.js';

interface Sse {
  events: string[];
  tokens: number;
  usage: { completion_tokens: number } | undefined;
  error: { code?: string } | undefined;
}

async function streamChat(url: string, model: string, maxTokens: number, includeUsage: boolean): Promise<{ status: number; sse: Sse }> {
  const body = { model, messages: [{ role: 'user', content: 'write a long story' }], max_tokens: maxTokens, ignore_eos: true, stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) };
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  const events = text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice('data: '.length));
  const sse: Sse = { events, tokens: 0, usage: undefined, error: undefined };
  for (const e of events) {
    if (e === '[DONE]') continue;
    const j = JSON.parse(e) as { choices?: { delta?: { content?: string } }[]; usage?: { completion_tokens: number } | null; error?: { code?: string } };
    if (j.error) sse.error = j.error;
    if (j.usage) sse.usage = j.usage;
    if (j.choices?.[0]?.delta?.content) sse.tokens++;
  }
  return { status: res.status, sse };
}

describe('gateway: output-token limits enforced on the stream (engine simulator)', function () {
  this.timeout(30_000);
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let kv: KV;
  let gw: GatewayHandle;
  let sim: RunningSimulator;

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    kv = await routesBucket(nc);
    sim = await startSimulator({ profile: 'cpu-small', port: 0, model: 'sim-small', seed: 1 });
    const srv = () => server('srv', [{ id: 'sim-0', url: sim.url }], { model: 'sim-small' });
    await putRoute(kv, modelEntry('limited', [srv()], undefined, { rateLimit: { outputTokensPerUnit: 20, unit: 'hour' } }));
    await putRoute(kv, modelEntry('roomy', [srv()], undefined, { rateLimit: { outputTokensPerUnit: 100_000, unit: 'month' } }));
    gw = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-output-limit', logLevel: 'off' });
    await gw.ready;
    await waitFor('routes', async () => (await fetch(`${gw.url}/v1/models`)).ok);
  });
  after(async () => {
    await gw?.close();
    await sim?.close();
    await nc?.close();
    await nats?.close();
  });

  it('a client that never asks for usage is cut at the budget: no more tokens than it, then an error event and [DONE]', async () => {
    const { status, sse } = await streamChat(gw.url, 'limited', 60, false);
    expect(status).to.equal(200);
    expect(sse.tokens).to.equal(20);
    expect(sse.error?.code).to.equal('output_tokens_exhausted');
    expect(sse.events[sse.events.length - 1]).to.equal('[DONE]');
    // The usage event the gateway asked the engine for never reaches this client.
    expect(sse.usage).to.equal(undefined);
    // The budget is spent: the next request is refused before it reaches the engine.
    const next = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'limited', messages: [{ role: 'user', content: 'x' }], max_tokens: 4, stream: true }) });
    expect(next.status).to.equal(429);
    expect(next.headers.get('retry-after')).to.match(/^\d+$/);
    // The engine stopped generating for the cut stream, well before its 60 tokens.
    let text = '';
    await waitFor('the engine idle', async () => /^vllm:num_requests_running\{[^}]*\} 0(\.0)?$/m.test((text = await (await fetch(`${sim.url}/metrics`)).text())));
    const generated = Number(/^vllm:generation_tokens_total\{[^}]*\} ([0-9.]+)$/m.exec(text)?.[1]);
    expect(generated).to.be.at.least(20).and.below(60);
  });

  it('within the budget the stream is whole; usage is passed on only to a client that asked', async () => {
    const quiet = await streamChat(gw.url, 'roomy', 12, false);
    expect(quiet.sse).to.include({ tokens: 12, usage: undefined, error: undefined });
    expect(quiet.sse.events[quiet.sse.events.length - 1]).to.equal('[DONE]');
    const asked = await streamChat(gw.url, 'roomy', 12, true);
    expect(asked.sse.tokens).to.equal(12);
    expect(asked.sse.usage?.completion_tokens).to.equal(12);
    // Both were charged exactly (the engine's count): 24 of the budget are gone (a month-long
    // bucket refills under 0.04 tokens a second, so a slow run does not blur the count).
    const debug = (await (await fetch(`${gw.url}/debug/ratelimits`)).json()) as { models: Record<string, { output?: number }> };
    expect(debug.models.roomy.output).to.be.within(100_000 - 25, 100_000 - 24);
  });
});
