// A disaggregated Model end to end: `mi apply` of a prefill/decode backend whose engines use the
// NIXL connector, the controllers' ModelInfer (two roles per group) and ModelServer (pdGroup,
// kvConnector nixl), simulator processes started in their roles, the routing table with roles
// and groups, and the gateway serving the openai client through a prefill and a decode engine.
import { expect } from 'chai';
import OpenAI from 'openai';
import { ChildSet } from './support/children.js';
import { miOk } from './support/mi.js';
import { writeManifest } from './support/manifests.js';
import { readRoute } from './support/nats.js';
import { waitFor } from './support/poll.js';
import { startE2eSystem, type E2eSystem } from './support/system.js';

const MODEL = 'e2e-pd';

const manifest = `apiVersion: registry.matrixinfer.ai/v1alpha1
kind: Model
metadata:
  name: ${MODEL}
spec:
  backends:
    - name: pd
      type: vLLMDisaggregated
      modelURI: hf://e2e/tiny
      minReplicas: 1
      maxReplicas: 1
      workers:
        - type: prefill
          replicas: 1
          config:
            profile: cpu-small
            kv-transfer-config: '{"kv_connector":"NixlConnector","kv_role":"kv_both"}'
        - type: decode
          replicas: 2
          config:
            profile: cpu-small
            kv-transfer-config: '{"kv_connector":"NixlConnector","kv_role":"kv_both"}'
`;

describe('disaggregated Model end to end (prefill/decode over NIXL)', function () {
  this.timeout(90_000);
  const children = new ChildSet();
  let e: E2eSystem;
  const pids = new Set<number>();

  before(async function () {
    this.timeout(60_000);
    e = await startE2eSystem(children, 'e2e-pd');
  });

  after(async function () {
    this.timeout(30_000);
    e?.sys?.actuator.instances().forEach((i) => i.pid && pids.add(i.pid));
    await e?.close(children, pids);
  });

  it('apply: prefill and decode instances are routed with their roles; requests go prefill then decode', async () => {
    const file = writeManifest(e.dataDir, 'pd.yaml', manifest);
    expect(await miOk(e.server.url, ['apply', '-f', file])).to.include(`model/${MODEL} created`);
    const entry = await waitFor('mi-routes to list one prefill and two decode endpoints', async () => {
      const r = await readRoute(e.kv, MODEL);
      const eps = r ? Object.values(r.servers).flatMap((s) => s.endpoints) : [];
      return eps.filter((x) => x.role === 'prefill').length === 1 && eps.filter((x) => x.role === 'decode').length === 2 ? r : undefined;
    }, { timeoutMs: 60_000, describe: () => JSON.stringify(e.sys?.actuator.instances()) });
    e.sys!.actuator.instances().forEach((i) => i.pid && pids.add(i.pid));
    const srv = Object.values(entry!.servers)[0];
    expect(srv.kvConnector).to.deep.equal({ type: 'nixl' });
    const groups = new Set(srv.endpoints.map((e) => e.pdGroup));
    expect(groups.size, 'one PD group (one ModelInfer replica)').to.equal(1);
    const decodeIds = srv.endpoints.filter((e) => e.role === 'decode').map((e) => e.id);
    const prefill = srv.endpoints.find((e) => e.role === 'prefill')!;

    const client = new OpenAI({ baseURL: `${e.gw.url}/v1`, apiKey: 'e2e', maxRetries: 0, timeout: 10_000 });
    const { data, response } = await waitFor('a chat completion through the gateway', async () =>
      client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hello, disaggregated world!' }], max_tokens: 6 }).withResponse(),
    { timeoutMs: 20_000, everyMs: 250 });
    expect(data.usage?.completion_tokens).to.equal(6);
    expect(decodeIds).to.include(response.headers.get('x-mi-endpoint'));

    const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'stream it' }], max_tokens: 4, stream: true, stream_options: { include_usage: true } });
    let completion = 0;
    for await (const c of stream) if (c.usage) completion = c.usage.completion_tokens;
    expect(completion).to.equal(4);

    // The prefill engine ran one token per request; it never produced the answers.
    const metrics = await (await fetch(`${prefill.address}/metrics`)).text();
    const gen = metrics.split('\n').find((l) => l.startsWith('vllm:generation_tokens_total'));
    expect(Number(gen?.split(' ').pop())).to.be.at.least(2).and.below(6);
  });
});
