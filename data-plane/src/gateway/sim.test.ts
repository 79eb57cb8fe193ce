// Acceptance through the real engine simulator: the official `openai` client, the gateway, and
// two simulator replicas behind one ModelServer.
import diagnostics from 'node:diagnostics_channel';
import { expect } from 'chai';
import OpenAI from 'openai';
import { request } from 'undici';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startSimulator, type RunningSimulator } from '@matrixinfer/engine-sim';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, server, waitFor } from './testing.js';

async function running(sim: RunningSimulator): Promise<number> {
  const r = await request(`${sim.url}/metrics`);
  const text = await r.body.text();
  const m = /^vllm:num_requests_running\{[^}]*\} ([0-9.]+)/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

describe('gateway e2e: openai client -> gateway -> engine simulators', function () {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let gw: GatewayHandle;
  const sims: RunningSimulator[] = [];
  let client: OpenAI;

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    const kv = await routesBucket(nc);
    for (let i = 0; i < 2; i++) sims.push(await startSimulator({ profile: 'cpu-small', port: 0, model: 'sim-small', seed: i + 1 }));
    const srv = server('chat-srv', sims.map((s, i) => ({ id: `sim-${i}`, url: s.url })), { model: 'sim-small' });
    await putRoute(kv, modelEntry('chat', [srv]));
    gw = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-sim', logLevel: 'off' });
    await gw.ready;
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'none', maxRetries: 0 });
  });
  after(async () => {
    await gw?.close();
    for (const s of sims) await s.close();
    await nc?.close();
    await nats?.close();
  });

  it('chat completion, not streamed, with usage', async () => {
    const r = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 8 });
    expect(r.model).to.equal('sim-small');
    expect(r.choices[0].message.role).to.equal('assistant');
    expect(r.usage?.completion_tokens).to.equal(8);
    expect(r.usage?.prompt_tokens).to.be.greaterThan(0);
  });

  it('chat completion streamed, with the final usage chunk', async () => {
    const s = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'count' }], max_tokens: 6, stream: true, stream_options: { include_usage: true } });
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const c of s) {
      chunks++;
      if (c.usage) usage = c.usage;
    }
    expect(chunks).to.be.greaterThan(6);
    expect(usage?.completion_tokens).to.equal(6);
  });

  it('completions, streamed and not, with usage', async () => {
    const r = await client.completions.create({ model: 'chat', prompt: 'once upon a time', max_tokens: 5 });
    expect(r.usage?.completion_tokens).to.equal(5);
    const s = await client.completions.create({ model: 'chat', prompt: 'once upon a time', max_tokens: 5, stream: true, stream_options: { include_usage: true } });
    let out = 0;
    for await (const c of s) if (c.usage) out = c.usage.completion_tokens;
    expect(out).to.equal(5);
  });

  it('a client aborting mid-stream: the simulator sees the request cancelled within 100 ms', async () => {
    const ac = new AbortController();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', stream: true, max_tokens: 3000, ignore_eos: true, messages: [{ role: 'user', content: 'long story' }] }),
      signal: ac.signal,
    });
    const endpoint = res.headers.get('x-mi-endpoint')!;
    const sim = sims[Number(endpoint.split('-')[1])];
    await res.body!.getReader().read();
    await waitFor('request running on the simulator', async () => (await running(sim)) === 1, 2000);
    // The scrape probes of /metrics are served by this same busy test process and can take longer
    // than the cancel itself, so the moment is taken from undici's diagnostics channel: when the
    // gateway's upstream request to the simulator errored (was aborted). The simulator cancels
    // synchronously on that socket's close; its running count must then read 0.
    let abortedAt = Infinity;
    const onError = (message: unknown): void => {
      // Only the gateway's request to this simulator counts (the test's own fetch publishes too).
      const origin = String((message as { request?: { origin?: unknown } }).request?.origin ?? '');
      if (origin === sim.url) abortedAt = Math.min(abortedAt, performance.now() - t0);
    };
    diagnostics.subscribe('undici:request:error', onError);
    const t0 = performance.now();
    ac.abort();
    try {
      await waitFor('simulator running count drops', async () => (await running(sim)) === 0, 2000);
    } finally {
      diagnostics.unsubscribe('undici:request:error', onError);
    }
    const seenAt = abortedAt;
    expect(seenAt).to.be.lessThan(100);
  });

  it('reports tokens from usage in its metrics', async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const out = Number(/mi_gateway_output_tokens_total\{model="chat"\} (\d+)/.exec(text)?.[1]);
    expect(out).to.be.greaterThanOrEqual(8 + 6 + 5 + 5);
  });
});
