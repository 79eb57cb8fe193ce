// Issue 21 acceptance: a Model with a Triton backend and one with a TorchServe backend, applied
// with `mi`, become routable on the local platform (simulator replicas in --engine triton and
// --engine torchserve modes, started by the local actuator, ready on their own health paths),
// and the official openai client gets chat completions, streamed and not, with usage, through
// a gateway process for both.
import { expect } from 'chai';
import OpenAI from 'openai';
import { ChildSet } from './support/children.js';
import { miOk } from './support/mi.js';
import { engineModelYaml, writeManifest } from './support/manifests.js';
import { entryEndpoints, readRoute } from './support/nats.js';
import { waitFor } from './support/poll.js';
import { startE2eSystem, type E2eSystem } from './support/system.js';

const model = (name: string, type: 'Triton' | 'TorchServe', uri: string): string => engineModelYaml({ name, type, uri, maxReplicas: 2, timeScale: 10, owner: 'e2e', workerReplicas: 1 });

describe('Triton and TorchServe Models end to end (mi apply, simulators, gateway, openai client)', function () {
  this.timeout(90_000);
  const children = new ChildSet();
  let e: E2eSystem;

  before(async function () {
    this.timeout(60_000);
    e = await startE2eSystem(children, 'e2e-engines');
  });
  after(async function () {
    this.timeout(30_000);
    await e?.close(children, []);
  });

  const cases = [
    { name: 'e2e-triton', type: 'Triton' as const, uri: 'hf://e2e/triton-repo', engine: 'Triton' },
    { name: 'e2e-torchserve', type: 'TorchServe' as const, uri: 's3://e2e-bucket/store/e2e-torchserve.mar', engine: 'TorchServe' },
  ];
  for (const tc of cases) {
    it(`${tc.type}: applied, routed with engine ${tc.engine}, chat completions streamed and not with usage`, async () => {
      const file = writeManifest(e.dataDir, `${tc.name}.yaml`, model(tc.name, tc.type, tc.uri));
      expect(await miOk(e.server.url, ['apply', '-f', file])).to.include(`model/${tc.name} created`);
      const entry = await waitFor(`mi-routes ${tc.name} to list a ready endpoint`, async () => {
        const r = await readRoute(e.kv, tc.name);
        return entryEndpoints(r).length === 1 ? r : undefined;
      }, { timeoutMs: 60_000, describe: async () => JSON.stringify(e.sys?.actuator.instances()) });
      expect(Object.values(entry!.servers).map((s) => s.engine)).to.deep.equal([tc.engine]);

      const client = new OpenAI({ baseURL: `${e.gw.url}/v1`, apiKey: 'e2e', maxRetries: 0, timeout: 10_000 });
      const r = await waitFor('a chat completion through the gateway', async () =>
        client.chat.completions.create({ model: tc.name, messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 8 }), { timeoutMs: 20_000, everyMs: 250 });
      expect(r.choices[0].message.content).to.be.a('string').and.not.equal('');
      expect(r.choices[0].finish_reason).to.equal('length');
      expect(r.usage?.completion_tokens).to.equal(8);
      expect(r.usage?.prompt_tokens).to.be.greaterThan(0);

      const s = await client.chat.completions.create({ model: tc.name, messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 8, stream: true, stream_options: { include_usage: true } });
      let text = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const c of s) {
        text += c.choices[0]?.delta.content ?? '';
        if (c.usage) usage = c.usage;
      }
      expect(text).to.equal(r.choices[0].message.content);
      expect(usage).to.deep.equal(r.usage);
    });
  }
});
