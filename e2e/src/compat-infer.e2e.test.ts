// MatrixInfer's own ModelInfer and networking examples (../shared/compat/matrixinfer/examples/
// model-infer and infer-gateway), applied unchanged with `mi apply` on one machine. The
// ModelInfers are written for GPU clusters (vllm/vllm-openai images, a Ray multi-node script,
// nginx placeholders): every instance runs, engines with the simulator standing in (said in
// the status as Simulated). The ModelServers and ModelRoutes select pods by labels a user puts
// on their own workloads, so the suite applies a backing ModelInfer written as a MatrixInfer
// user would (engine image, `vllm serve` command line, those labels) and then the examples as
// they are; the official openai client is served through the gateway on every route.
import { expect } from 'chai';
import { join } from 'node:path';
import OpenAI from 'openai';
import { ChildSet } from './support/children.js';
import { writeManifest } from './support/manifests.js';
import { COMPAT_EXAMPLES, miOk, skipWithoutCompatCorpus } from './support/mi.js';
import { entryEndpoints, readRoute } from './support/nats.js';
import { waitFor } from './support/poll.js';
import { startE2eSystem, type E2eSystem } from './support/system.js';

const CORPUS = COMPAT_EXAMPLES;
const example = (dir: string, file: string): string => join(CORPUS, dir, file);

interface InferStatus {
  status?: { replicas?: number; availableReplicas?: number; conditions?: { type: string; status: string; message?: string }[] };
}

/** A ModelInfer as a MatrixInfer user writes one: vLLM image, its command line, the labels the example ModelServers select. */
function backing(name: string, roles: { name: string; labels: Record<string, string>; args: string[] }[]): string {
  const role = (r: (typeof roles)[number]) => [
    `      - name: ${r.name}`,
    '        replicas: 1',
    '        entryTemplate:',
    '          metadata:',
    `            labels: ${JSON.stringify(r.labels)}`,
    '          spec:',
    '            containers:',
    '              - name: engine',
    '                image: vllm/vllm-openai:v0.8.5',
    `                command: ${JSON.stringify(['vllm', 'serve', 'deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B', '--port', '8000', ...r.args])}`,
    '                ports: [{ containerPort: 8000 }]',
  ].join('\n');
  return ['apiVersion: workload.matrixinfer.ai/v1alpha1', 'kind: ModelInfer', 'metadata:', `  name: ${name}`, 'spec:', '  replicas: 1', '  template:', '    roles:', ...roles.map(role)].join('\n') + '\n';
}

describe('MatrixInfer ModelInfer and gateway examples on one machine (mi apply, simulator standing in, gateway)', function () {
  this.timeout(120_000);
  if (skipWithoutCompatCorpus(CORPUS)) return;
  const children = new ChildSet();
  let e: E2eSystem;
  let client: OpenAI;
  const pids = new Set<number>();
  const notePids = () => e.sys?.actuator.instances().forEach((i) => i.pid && pids.add(i.pid));
  const instances = (mi: string) => (e.sys?.actuator.instances() ?? []).filter((i) => i.name.startsWith(`${mi}-`));
  const inferStatus = async (name: string) => JSON.parse(await miOk(e.server.url, ['get', 'modelinfer', name, '-o', 'json'])) as InferStatus;
  const chat = (model: string, content = 'Hello!') => client.chat.completions.create({ model, messages: [{ role: 'user', content }], max_tokens: 4 });

  before(async function () {
    this.timeout(60_000);
    e = await startE2eSystem(children, 'e2e-compat-infer');
    client = new OpenAI({ baseURL: `${e.gw.url}/v1`, apiKey: 'e2e', maxRetries: 0, timeout: 10_000 });
  });
  after(async function () {
    this.timeout(30_000);
    notePids();
    await e?.close(children, pids);
  });

  it('model-infer/multi-node.yaml: the Ray leader script and its worker run, the simulator standing in for vLLM; routable once a ModelServer selects it', async () => {
    expect(await miOk(e.server.url, ['apply', '-f', example('model-infer', 'multi-node.yaml')])).to.match(/^modelinfer\/llama-multinode created$/m);
    // Two role replicas, each a leader and one worker.
    await waitFor('4 instances ready', async () => (instances('llama-multinode').filter((i) => i.phase === 'ready').length === 4 ? true : undefined), { timeoutMs: 60_000, describe: () => JSON.stringify(instances('llama-multinode').map((i) => [i.name, i.phase])) });
    notePids();
    const st = await waitFor('status: 1 available, Simulated', async () => {
      const s = (await inferStatus('llama-multinode')).status;
      return s?.availableReplicas === 1 && s.conditions?.some((c) => c.type === 'Simulated' && c.status === 'True') ? s : undefined;
    }, { timeoutMs: 20_000 });
    expect(st.conditions!.find((c) => c.type === 'Simulated')!.message).to.match(/^4\/4 instances run the built-in simulator in place of (bash, vllm|vllm, bash) \(not installed on this machine\)$/);

    const serve = ['apiVersion: networking.matrixinfer.ai/v1alpha1', 'kind: ModelServer', 'metadata: { name: llama-405b }', 'spec:', '  model: meta-llama/Llama-3.1-405B-Instruct', '  inferenceEngine: vLLM', '  workloadSelector: { matchLabels: { modelinfer.matrixinfer.ai/name: llama-multinode } }', '---', 'apiVersion: networking.matrixinfer.ai/v1alpha1', 'kind: ModelRoute', 'metadata: { name: llama-405b }', 'spec:', '  modelName: llama-405b', '  rules: [{ name: all, targetModels: [{ modelServerName: llama-405b }] }]', ''].join('\n');
    await miOk(e.server.url, ['apply', '-f', writeManifest(e.dataDir, 'serve-405b.yaml', serve)]);
    // Only the leaders serve: the workers joined their Ray cluster.
    const entry = await waitFor('two leader endpoints', async () => {
      const r = await readRoute(e.kv, 'llama-405b');
      return entryEndpoints(r).length === 2 ? r : undefined;
    }, { timeoutMs: 30_000 });
    expect(Object.values(entry!.servers)[0].endpoints.map((x) => x.id).sort()).to.deep.equal(['llama-multinode-0-405b-0-0', 'llama-multinode-0-405b-1-0']);
    const done = await waitFor('a chat completion', async () => chat('llama-405b'), { timeoutMs: 20_000, everyMs: 250 });
    expect(done.choices[0].message.content).to.be.a('string').and.not.equal('');
    // The ModelServer's model is what the engine is asked for.
    expect(done.model).to.equal('meta-llama/Llama-3.1-405B-Instruct');
    await miOk(e.server.url, ['delete', 'modelroute', 'llama-405b']);
    await miOk(e.server.url, ['delete', 'modelserver', 'llama-405b']);
    await miOk(e.server.url, ['delete', 'modelinfer', 'llama-multinode']);
    await waitFor('its instances gone', async () => (instances('llama-multinode').every((i) => i.phase === 'stopped') ? true : undefined), { timeoutMs: 30_000 });
  });

  it('model-infer/sample.yaml: a prefill and a decode role of one leader and three workers each, all running', async () => {
    expect(await miOk(e.server.url, ['apply', '-f', example('model-infer', 'sample.yaml')])).to.match(/^modelinfer\/sample created$/m);
    await waitFor('8 instances ready', async () => (instances('sample').filter((i) => i.phase === 'ready').length === 8 ? true : undefined), { timeoutMs: 60_000, describe: () => JSON.stringify(instances('sample').map((i) => [i.name, i.phase])) });
    notePids();
    expect(instances('sample').map((i) => i.name).sort()).to.deep.equal(['decode', 'prefill'].flatMap((r) => [0, 1, 2, 3].map((p) => `sample-0-${r}-0-${p}`)).sort());
    await waitFor('status: 1 available', async () => ((await inferStatus('sample')).status?.availableReplicas === 1 ? true : undefined), { timeoutMs: 20_000 });
    await miOk(e.server.url, ['delete', 'modelinfer', 'sample']);
    await waitFor('its instances gone', async () => (instances('sample').every((i) => i.phase === 'stopped') ? true : undefined), { timeoutMs: 30_000 });
  });

  it('infer-gateway: ModelServer-ds1.5b and the simple, LoRA and rate-limited ModelRoutes, unchanged, serve through the gateway', async () => {
    const infer = backing('deepseek-r1-1-5b', [{ name: 'server', labels: { app: 'deepseek-r1-1-5b' }, args: ['--enable-lora', '--lora-modules', 'lora-A=/adapters/a', 'lora-B=/adapters/b'] }]);
    await miOk(e.server.url, ['apply', '-f', writeManifest(e.dataDir, 'deepseek-infer.yaml', infer)]);
    for (const f of ['ModelServer-ds1.5b.yaml', 'ModelRouteSimple.yaml', 'ModelRouteLora.yaml', 'ModelRouteWithRateLimit.yaml']) await miOk(e.server.url, ['apply', '-f', example('infer-gateway', f)]);
    for (const key of ['deepseek-simple', 'lora-A', 'lora-B', 'deepseek-r1-with-rate-limit']) {
      await waitFor(`route ${key} with an endpoint`, async () => (entryEndpoints(await readRoute(e.kv, key)).length > 0 ? true : undefined), { timeoutMs: 60_000, describe: () => JSON.stringify(instances('deepseek-r1-1-5b').map((i) => [i.name, i.phase])) });
    }
    notePids();
    const simple = await waitFor('deepseek-simple served', async () => chat('deepseek-simple'), { timeoutMs: 20_000, everyMs: 250 });
    expect(simple.model).to.equal('deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B');
    // An adapter name is not rewritten: the engine serves the adapter.
    expect((await chat('lora-A')).model).to.equal('lora-A');
    expect((await chat('lora-B')).model).to.equal('lora-B');
    // 10 input tokens per minute (the example says so, "to be convenient to test").
    expect((await chat('deepseek-r1-with-rate-limit', 'Hi')).choices).to.have.length(1);
    let refused: unknown;
    for (let i = 0; i < 6 && refused === undefined; i++) {
      try {
        await chat('deepseek-r1-with-rate-limit', 'a dozen chars');
      } catch (err) {
        refused = err;
      }
    }
    expect(refused, 'a 429 within 6 requests').to.be.instanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).to.equal(429);
    // The other routes are not limited by it.
    expect((await chat('deepseek-simple')).choices).to.have.length(1);
  });

  it('infer-gateway: ModelServer-ds1.5b-pd-disaggragation, unchanged, sends each request to a prefill then a decode engine', async () => {
    // The same ModelServer name: it replaces the one above. The P and D roles carry the
    // example's labels (group key and role names), their engines vLLM's producer/consumer roles.
    const kv = (role: string) => JSON.stringify({ kv_connector: 'P2pNcclConnector', kv_role: role });
    const infer = backing('deepseek-pd', [
      { name: 'prefill', labels: { app: 'deepseek-r1-1-5b', 'modelinfer/infergroupname': 'deepseek-pd-0', 'modelinfer/rolename': 'P-instance' }, args: ['--kv-transfer-config', kv('kv_producer')] },
      { name: 'decode', labels: { app: 'deepseek-r1-1-5b', 'modelinfer/infergroupname': 'deepseek-pd-0', 'modelinfer/rolename': 'D-instance' }, args: ['--kv-transfer-config', kv('kv_consumer')] },
    ]);
    await miOk(e.server.url, ['delete', 'modelinfer', 'deepseek-r1-1-5b']);
    await miOk(e.server.url, ['apply', '-f', writeManifest(e.dataDir, 'deepseek-pd.yaml', infer)]);
    expect(await miOk(e.server.url, ['apply', '-f', example('infer-gateway', 'ModelServer-ds1.5b-pd-disaggragation.yaml')])).to.match(/modelserver\/deepseek-r1-1-5b configured/);
    const entry = await waitFor('one prefill and one decode endpoint', async () => {
      const r = await readRoute(e.kv, 'deepseek-simple');
      const eps = r ? Object.values(r.servers).flatMap((s) => s.endpoints) : [];
      return eps.length === 2 && eps.some((x) => x.role === 'prefill') && eps.some((x) => x.role === 'decode') ? r : undefined;
    }, { timeoutMs: 60_000, describe: () => JSON.stringify(instances('deepseek-pd').map((i) => [i.name, i.phase])) });
    notePids();
    const eps = Object.values(entry!.servers)[0].endpoints;
    const decode = eps.find((x) => x.role === 'decode')!;
    const { data, response } = await waitFor('a chat completion through prefill and decode', async () =>
      client.chat.completions.create({ model: 'deepseek-simple', messages: [{ role: 'user', content: 'Hello, disaggregated!' }], max_tokens: 5 }).withResponse(), { timeoutMs: 20_000, everyMs: 250 });
    expect(data.usage?.completion_tokens).to.equal(5);
    expect(response.headers.get('x-mi-endpoint')).to.equal(decode.id);
    // The prefill engine ran one token for it; it never produced the answer.
    const prefill = eps.find((x) => x.role === 'prefill')!;
    const gen = (await (await fetch(`${prefill.address}/metrics`)).text()).split('\n').find((l) => l.startsWith('vllm:generation_tokens_total'));
    expect(Number(gen?.split(' ').pop())).to.be.at.least(1).and.below(5);
  });
});
