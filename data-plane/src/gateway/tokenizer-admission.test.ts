// Input-token admission on the model's own tokenizer (`tokenizers`): a CJK prompt that chars/4
// estimates at 9 tokens counts about twice that with Qwen2.5's tokenizer, so a 100-token budget
// admits about 5 such requests instead of 11 (the fake engine reports 1 prompt token, so the
// settlement on the engine's usage adds nothing here: the difference is the admission alone).
import { expect } from 'chai';
import { request } from 'undici';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { parseTokenizerSpecs } from '../tokenizer/specs.js';
import { qwenTokenizerDir } from '../tokenizer/testing.js';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, server, startFakeUpstream, waitFor, type FakeUpstream } from './testing.js';

const PROMPT = '机器学习是人工智能的一个分支它使计算机能够从数据中学习而无需明确编程'; // 34 characters

describe('gateway: input-token admission with a local tokenizer', function () {
  this.timeout(60_000);
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let kv: KV;
  let gw: GatewayHandle;
  let fake: FakeUpstream;

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    kv = await routesBucket(nc);
    fake = await startFakeUpstream('tok');
    gw = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-tok', logLevel: 'off', tokenizers: parseTokenizerSpecs([`qwen=${qwenTokenizerDir()}`]) });
    await gw.ready;
    await waitFor(
      'tokenizer loaded',
      async () => ((await (await request(`${gw.url}/debug/ratelimits`)).body.json()) as { tokenizers?: { loaded: string[] } }).tokenizers?.loaded.includes('qwen') ?? false,
      30_000,
    );
  });
  after(async () => {
    await gw?.close();
    await fake?.close();
    await nc?.close();
    await nats?.close();
  });

  async function admittedUntil429(model: string): Promise<number> {
    await putRoute(kv, modelEntry(model, [server(`${model}-ms`, [fake])], undefined, { rateLimit: { inputTokensPerUnit: 100, unit: 'hour' } }));
    await waitFor(`${model} routed`, () => gw.table().entries.has(model));
    for (let i = 0; i < 20; i++) {
      const r = await request(`${gw.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, prompt: PROMPT }) });
      const text = await r.body.text();
      if (r.statusCode === 429) return i;
      expect(r.statusCode, text).to.equal(200);
    }
    return 20;
  }

  it('a model with a tokenizer is admitted on its count; one without on chars/4', async () => {
    const withTokenizer = await admittedUntil429('qwen');
    const estimated = await admittedUntil429('plain');
    expect(estimated, 'chars/4: 9 tokens each').to.equal(11);
    expect(withTokenizer, `admitted ${withTokenizer} on the tokenizer's count`).to.be.within(3, 6);
    const debug = (await (await request(`${gw.url}/debug/ratelimits`)).body.json()) as { tokenizers: { counted: number } };
    expect(debug.tokenizers.counted).to.be.at.least(withTokenizer);
  });
});
