// Input-token limits settle on the engine's count: a request is admitted on the chars/4
// estimate, then the prompt_tokens the engine reports (its own tokenizer) are charged, so a
// prompt that tokenizes denser than the estimate cannot slip past the limit. Also for a
// streaming client that never asked for usage.
import { expect } from 'chai';
import { request } from 'undici';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, server, startFakeUpstream, waitFor, type FakeUpstream } from './testing.js';

// 62 characters: estimated at 16 tokens; the fake engine counts one token per character of the
// JSON-encoded prompt (64), as a tokenizer that splits much finer than chars/4 would.
const PROMPT = 'x'.repeat(62);

describe('gateway: input-token limits settle on the engine count', function () {
  this.timeout(20_000);
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let kv: KV;
  let gw: GatewayHandle;
  let fake: FakeUpstream;

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    kv = await routesBucket(nc);
    fake = await startFakeUpstream('dense', { densePromptTokens: true });
    gw = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-input', logLevel: 'off' });
    await gw.ready;
  });
  after(async () => {
    await gw?.close();
    await fake?.close();
    await nc?.close();
    await nats?.close();
  });

  async function admittedUntil429(model: string, stream: boolean): Promise<number> {
    await putRoute(kv, modelEntry(model, [server(`${model}-ms`, [fake])], undefined, { rateLimit: { inputTokensPerUnit: 150, unit: 'hour' } }));
    await waitFor(`${model} routed`, () => gw.table().entries.has(model));
    for (let i = 0; i < 20; i++) {
      const r = await request(`${gw.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, prompt: PROMPT, stream }) });
      const text = await r.body.text();
      if (r.statusCode === 429) return i;
      expect(r.statusCode, text).to.equal(200);
      if (stream) expect(text, 'the client did not ask for usage and gets none').to.not.match(/"usage":\{/);
    }
    return 20;
  }

  it('non-streaming: the engine-reported prompt_tokens are charged, so 150 tokens admit 3 requests of 64, not 9 of 16', async () => {
    expect(await admittedUntil429('dense-json', false)).to.equal(3);
  });

  it('streaming without include_usage: usage is asked of the engine for the settlement and stripped for the client', async () => {
    expect(await admittedUntil429('dense-stream', true)).to.equal(3);
    const last = fake.received[fake.received.length - 1];
    expect(last.body.stream_options).to.deep.equal({ include_usage: true });
  });
});
