// MatrixInfer's own Model examples (../shared/compat/matrixinfer/examples/model), applied
// unchanged with `mi apply` on one machine: no GPU and no vLLM here, so each backend's engine
// is replaced by the simulator (said in the Model's status as Simulated), and the Model becomes
// routable: the official openai client gets a chat completion through the gateway.
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { ChildSet } from './support/children.js';
import { COMPAT_EXAMPLES, miOk, skipWithoutCompatCorpus } from './support/mi.js';
import { entryEndpoints, readRoute } from './support/nats.js';
import { waitFor } from './support/poll.js';
import { startE2eSystem, type E2eSystem } from './support/system.js';

const CORPUS = join(COMPAT_EXAMPLES, 'model');
/** The example with a real typo (`replicase`): rejected, covered by the dry-run suite. */
const TYPO = 'Qwen2.5-Coder-32B-Instruct.yaml';

describe('MatrixInfer Model examples on one machine (mi apply, simulator standing in, gateway)', function () {
  this.timeout(120_000);
  if (skipWithoutCompatCorpus(CORPUS)) return;
  const children = new ChildSet();
  let e: E2eSystem;
  const pids = new Set<number>();
  before(async function () {
    this.timeout(60_000);
    e = await startE2eSystem(children, 'e2e-compat');
  });
  after(async function () {
    this.timeout(30_000);
    for (const i of e?.sys?.actuator.instances() ?? []) if (i.pid) pids.add(i.pid);
    await e?.close(children, pids);
  });

  for (const file of readdirSync(CORPUS).filter((f) => f.endsWith('.yaml') && f !== TYPO).sort()) {
    it(`${file}: routable, served through the gateway, status says Simulated`, async () => {
      const before = new Set<string>();
      for await (const k of await e.kv.keys()) before.add(k);
      const out = await miOk(e.server.url, ['apply', '-f', join(CORPUS, file)]);
      const model = /^model\/(\S+) (created|configured|unchanged)$/m.exec(out)?.[1];
      expect(model, out).to.be.a('string');

      const key = await waitFor(`a route of ${file} with a ready endpoint`, async () => {
        for await (const k of await e.kv.keys()) if (!before.has(k) && entryEndpoints(await readRoute(e.kv, k)).length > 0) return k;
        return undefined;
      }, { timeoutMs: 60_000, describe: () => JSON.stringify(e.sys?.actuator.instances().map((i) => [i.name, i.phase])) });
      for (const i of e.sys!.actuator.instances()) if (i.pid) pids.add(i.pid);

      const client = new OpenAI({ baseURL: `${e.gw.url}/v1`, apiKey: 'e2e', maxRetries: 0, timeout: 10_000 });
      const done = await waitFor('a chat completion through the gateway', async () =>
        client.chat.completions.create({ model: key, messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 4 }), { timeoutMs: 20_000, everyMs: 250 });
      expect(done.choices[0].message.content).to.be.a('string').and.not.equal('');

      const status = await waitFor('the Simulated condition', async () => {
        const m = JSON.parse(await miOk(e.server.url, ['get', 'model', model!, '-o', 'json'])) as { status?: { conditions?: { type: string; status: string; message?: string }[] } };
        return m.status?.conditions?.find((c) => c.type === 'Simulated' && c.status === 'True');
      }, { timeoutMs: 20_000, everyMs: 250 });
      expect(status.message).to.match(/run the built-in simulator in place of \S+ \(not installed on this machine\)/);

      await miOk(e.server.url, ['delete', 'model', model!]);
      await waitFor('its route gone', async () => entryEndpoints(await readRoute(e.kv, key)).length === 0 || undefined, { timeoutMs: 30_000 });
    });
  }
});
