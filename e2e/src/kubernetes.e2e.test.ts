// Kubernetes mode end to end, driven with real kubectl: `kubectl apply -f` a Model → the ingest
// writes it to MI_DESIRED → the Model controller derives its children → the mirror shows them
// in Kubernetes, owned by the Model → the Kubernetes actuator creates Pods and a Service → the
// stand-in kubelet runs them as simulators on their own pod IPs → the gateway routes the
// official openai client to them. `mi apply` is refused meanwhile; `kubectl delete model`
// removes everything. Real nats-server, real processes, the in-process test API server.
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { kubernetesComponents } from '@matrixinfer/k8s';
import { kubectl, kubectlPath, startStandInKubelet, startTestApiServer, type StandInKubelet, type TestApiServer } from '@matrixinfer/k8s/testing';
import { setKubernetesMode, startControlPlane, type AutoscalerDecisionData, type ControlPlane } from '@matrixinfer/control-plane';
import { connectNats, decisionSubject } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ChildSet, pidAlive } from './support/children.js';
import { REPO_ROOT, runMi } from './support/mi.js';
import { autoscaledSimModel, inflightPolicy, modelYaml } from './support/manifests.js';
import { ClosedLoopLoad } from './autoscaler-load.js';
import { entryEndpoints, readRoute, readStream, routesKv } from './support/nats.js';
import { waitFor } from './support/poll.js';
import { fileLogger, startGatewayProcess, type GatewayProcess } from './support/system.js';

const CRD_DIR = join(REPO_ROOT, 'k8s', 'crds');
const SIM = fileURLToPath(new URL('../../engine-sim/bin/mi-engine-sim.js', import.meta.url));
const MODEL = 'k8s-llama';
const INFER = `${MODEL}-sim`;
const NS = 'default';

type Obj = { metadata: { name: string; uid: string; ownerReferences?: { kind: string; name: string; uid: string }[]; labels?: Record<string, string>; annotations?: Record<string, string> }; status?: { podIP?: string } };

describe('Kubernetes mode end to end (real kubectl, test API server, stand-in kubelet, gateway)', function () {
  this.timeout(120_000);
  const children = new ChildSet();
  let server: TestNatsServer;
  let api: TestApiServer;
  let kubelet: StandInKubelet | undefined;
  let cp: ControlPlane | undefined;
  let gw: GatewayProcess;
  let nc: NatsConnection;
  let kv: KV;
  let dataDir: string;
  const pids = new Set<number>();

  const k = async (args: string[], input?: string) => {
    const r = await kubectl(api, args, { input });
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  const getJson = async <T>(args: string[]): Promise<T> => JSON.parse(await k([...args, '-o', 'json'])) as T;

  // The control plane as `mi controller --kubernetes` composes it (mode marker included).
  const startSystem = () => {
    const mode = { name: 'mode', start: async (c: { nc: NatsConnection }) => (await setKubernetesMode(c.nc, 'e2e-controller'), { stop: async () => undefined }) };
    const components = [mode, ...kubernetesComponents({ kubeConfig: api.kubeConfig, actuatorRetryMs: 200, finalizerCheckMs: 200 })];
    return startControlPlane({ natsUrl: server.url, dataDir, apiPort: 0, logger: fileLogger(dataDir, 'controller'), components });
  };

  before(async function () {
    if (!kubectlPath()) this.skip();
    this.timeout(60_000);
    dataDir = mkdtempSync(join(tmpdir(), 'mi-e2e-k8s-'));
    server = await startNatsServer();
    api = await startTestApiServer({ crds: readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).map((f) => join(CRD_DIR, f)), namespaces: [NS] });
    const logger = fileLogger(dataDir, 'controller');
    kubelet = startStandInKubelet({ kubeConfig: api.kubeConfig, simulatorCommand: [process.execPath, SIM], logger, probePeriodMs: 100, killGraceMs: 2000 });
    cp = await startSystem();
    gw = await startGatewayProcess(children, server.url, 'gw-e2e-k8s');
    nc = await connectNats({ url: server.url, name: 'e2e-k8s' });
    kv = await routesKv(nc);
  });

  after(async function () {
    this.timeout(30_000);
    for (const r of kubelet?.running() ?? []) if (r.pid) pids.add(r.pid);
    await children.killAll();
    await cp?.stop();
    await kubelet?.stop();
    await nc?.close();
    await api?.stop();
    await server?.close();
    if (dataDir && !process.env.MI_E2E_KEEP) rmSync(dataDir, { recursive: true, force: true });
    for (const pid of pids) expect(pidAlive(pid), `simulator ${pid} outlived the suite`).to.equal(false);
  });

  it('kubectl apply of a Model: children mirrored with owner references, Pods and Service, Pods ready, chat completions through the gateway', async () => {
    expect(await k(['apply', '-n', NS, '-f', '-'], modelYaml({ name: MODEL, replicas: 2 }))).to.include(`model.registry.matrixinfer.ai/${MODEL} created`);
    const model = await getJson<Obj>(['get', 'model', MODEL, '-n', NS]);

    // The Model controller's children, in Kubernetes, owned by the Model's Kubernetes uid.
    const children = await waitFor('the derived ModelInfer in Kubernetes', async () => {
      const r = await kubectl(api, ['get', 'modelinfer', INFER, '-n', NS, '-o', 'json']);
      return r.code === 0 ? (JSON.parse(r.stdout) as Obj) : undefined;
    }, { timeoutMs: 30_000 });
    expect(children.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid])).to.deep.equal([['Model', MODEL, model.metadata.uid]]);
    const server = await getJson<Obj>(['get', 'modelserver', INFER, '-n', NS]);
    expect(server.metadata.ownerReferences?.[0].uid).to.equal(model.metadata.uid);
    const route = await getJson<Obj>(['get', 'modelroute', MODEL, '-n', NS]);
    expect(route.metadata.ownerReferences?.[0].uid).to.equal(model.metadata.uid);

    // Pods named and labelled per group and role, owned by the ModelInfer; one Service per group.
    const pods = await waitFor('two Pods ready with pod IPs', async () => {
      const list = await getJson<{ items: (Obj & { status?: { podIP?: string; conditions?: { type: string; status: string }[] } })[] }>(['get', 'pods', '-n', NS]);
      const ready = list.items.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 2 ? list.items : undefined;
    }, { timeoutMs: 60_000, describe: async () => (await kubectl(api, ['get', 'pods', '-n', NS, '-o', 'wide'])).stdout });
    expect(pods.map((p) => p.metadata.name).sort()).to.deep.equal([`${INFER}-0-server-0-0`, `${INFER}-1-server-0-0`]);
    for (const p of pods) expect(p.metadata.ownerReferences?.[0]).to.include({ kind: 'ModelInfer', name: INFER, uid: children.metadata.uid });
    const services = await getJson<{ items: Obj[] }>(['get', 'services', '-n', NS]);
    expect(services.items.map((s) => s.metadata.name).sort()).to.include.members([`${INFER}-0`, `${INFER}-1`]);
    for (const r of kubelet!.running()) if (r.pid) pids.add(r.pid);

    // The routing table lists the pod IPs; the gateway serves both forms of chat completions.
    const ips = pods.map((p) => `http://${p.status!.podIP}:8000`).sort();
    await waitFor('mi-routes to list both pod addresses', async () => {
      const addrs = entryEndpoints(await readRoute(kv, MODEL)).map((e) => e.address).sort();
      return JSON.stringify(addrs) === JSON.stringify(ips);
    }, { timeoutMs: 30_000 });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'e2e', maxRetries: 0, timeout: 10_000 });
    const { data, response } = await waitFor('a chat completion through the gateway', async () =>
      client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hello from Kubernetes!' }], max_tokens: 8 }).withResponse(),
    { timeoutMs: 20_000, everyMs: 250 });
    expect(data.choices[0].message.content).to.be.a('string').and.not.equal('');
    expect(pods.map((p) => p.metadata.name)).to.include(response.headers.get('x-mi-endpoint'));
    const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'stream it' }], max_tokens: 5, stream: true, stream_options: { include_usage: true } });
    let completion = 0;
    let text = '';
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) completion = c.usage.completion_tokens;
    }
    expect(completion).to.equal(5);
    expect(text).to.not.equal('');
  });

  it('status written back: kubectl get shows the status columns, kubectl wait sees Active, observedGeneration is the Kubernetes generation', async () => {
    const w = await kubectl(api, ['wait', '--for=condition=Active', `model/${MODEL}`, '-n', NS, '--timeout=30s']);
    expect(w.code, w.stderr).to.equal(0);
    const table = await k(['get', 'models', '-n', NS]);
    expect(table).to.match(new RegExp(`^${MODEL}\\s+${MODEL}\\s+True\\s+False\\s+`, 'm'));
    await waitFor('kubectl get modelinfers to show 2 available', async () => new RegExp(`^${INFER}\\s+2\\s+2\\s+2\\s+`, 'm').test(await k(['get', 'modelinfers', '-n', NS])) || undefined, { timeoutMs: 20_000 });
    const m = await getJson<Obj & { metadata: { generation: number }; status: { observedGeneration: number; conditions: { type: string; lastTransitionTime?: string }[] } }>(['get', 'model', MODEL, '-n', NS]);
    expect(m.status.observedGeneration).to.equal(m.metadata.generation);
    for (const c of m.status.conditions) expect(c.lastTransitionTime, c.type).to.match(/^\d{4}-\d\d-\d\dT/);
    const mi = await getJson<{ status: { replicas: number; labelSelector: string } }>(['get', 'modelinfer', INFER, '-n', NS]);
    expect(mi.status).to.include({ replicas: 2, labelSelector: `modelinfer.matrixinfer.ai/name=${INFER}` });
  });

  it('mi apply is refused with an error naming kubectl; mi get still reads', async () => {
    const r = await runMi(server.url, ['apply', '-f', '-'], { stdin: modelYaml({ name: 'via-mi', replicas: 1 }) });
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/Kubernetes mode.*kubectl apply -f/);
    const get = await runMi(server.url, ['get', 'models']);
    expect(get.code, get.stderr).to.equal(0);
    expect(get.stdout).to.match(new RegExp(`^${MODEL}\\b`, 'm'));
  });

  it('kubectl scale of a kubectl-applied ModelInfer to 3: three groups serve, the first Pod is not restarted, no new revision', async () => {
    const PLAIN = 'plain';
    await k(['apply', '-n', NS, '-f', '-'], `apiVersion: workload.matrixinfer.ai/v1alpha1\nkind: ModelInfer\nmetadata: { name: ${PLAIN} }\nspec: { replicas: 1, template: { roles: [{ name: server, replicas: 1, entryTemplate: { spec: { containers: [{ name: engine, image: "vllm/vllm-openai:v0.8.5" }] } } }] } }\n`);
    type Pod = Obj & { status?: { podIP?: string; conditions?: { type: string; status: string }[] } };
    const readyPods = async () => (await getJson<{ items: Pod[] }>(['get', 'pods', '-n', NS, '-l', `modelinfer.matrixinfer.ai/name=${PLAIN}`])).items.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    const first = await waitFor('the first group ready', async () => ((await readyPods()).length === 1 ? (await readyPods())[0] : undefined), { timeoutMs: 30_000 });
    const revision = await waitFor('an update revision', async () => (await getJson<{ status?: { updateRevision?: string } }>(['get', 'modelinfer', PLAIN, '-n', NS])).status?.updateRevision, { timeoutMs: 20_000 });

    await k(['scale', `modelinfer/${PLAIN}`, '-n', NS, '--replicas', '3']);
    const pods = await waitFor('three groups ready', async () => {
      const ready = await readyPods();
      return ready.length === 3 ? ready : undefined;
    }, { timeoutMs: 60_000, describe: async () => (await kubectl(api, ['get', 'pods,modelinfers', '-n', NS, '-o', 'wide'])).stdout });
    expect(pods.map((p) => p.metadata.name).sort()).to.deep.equal([0, 1, 2].map((g) => `${PLAIN}-${g}-server-0-0`));
    expect(pods.find((p) => p.metadata.name === first.metadata.name)?.metadata.uid).to.equal(first.metadata.uid);
    for (const p of pods) expect((await fetch(`http://${p.status!.podIP}:8000/v1/models`)).status, p.metadata.name).to.equal(200);
    const mi = await getJson<{ spec: { replicas: number }; status: { updateRevision?: string } }>(['get', 'modelinfer', PLAIN, '-n', NS]);
    expect(mi.spec.replicas).to.equal(3);
    expect(mi.status.updateRevision).to.equal(revision);
    for (const r of kubelet!.running()) if (r.pid) pids.add(r.pid);
    // The infer controller's decisions are Events on the ModelInfer.
    const described = await waitFor('kubectl describe to show the scale Event', async () => {
      const d = await k(['describe', 'modelinfer', PLAIN, '-n', NS]);
      return /Normal\s+Scale\s+\S+\s+matrixinfer-controller\s+scale: create groups 1, 2 \(replicas 3\)/.test(d) ? d : undefined;
    }, { timeoutMs: 20_000, describe: async () => (await kubectl(api, ['describe', 'modelinfer', PLAIN, '-n', NS])).stdout });
    expect(described).to.match(/^Events:/m);
    await k(['delete', 'modelinfer', PLAIN, '-n', NS]);
    await waitFor('its Pods gone', async () => (await readyPods()).length === 0 || undefined, { timeoutMs: 30_000 });
  });

  it('the autoscaler under load scales a Model through the ModelInfer: replicas only, no new revision, no Pod restarted', async () => {
    const AS = 'k8s-scale';
    const ASI = `${AS}-sim`;
    const policy = inflightPolicy({ name: 'inflight', target: 2, stableWindow: '6000ms', panicWindowPercent: '25' });
    const model = autoscaledSimModel({ name: AS, policy: 'inflight', minReplicas: 1, maxReplicas: 3, itlMs: 20 });
    await k(['apply', '-n', NS, '-f', '-'], [policy, model].map((o) => JSON.stringify(o)).join('\n'));
    type Pod = Obj & { status?: { conditions?: { type: string; status: string }[] } };
    const readyPods = async () => (await getJson<{ items: Pod[] }>(['get', 'pods', '-n', NS, '-l', `modelinfer.matrixinfer.ai/name=${ASI}`])).items.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    const first = await waitFor('one replica ready', async () => ((await readyPods()).length === 1 ? (await readyPods())[0] : undefined), { timeoutMs: 60_000 });
    await waitFor('routed', async () => entryEndpoints(await readRoute(kv, AS)).length === 1 || undefined, { timeoutMs: 30_000 });
    const revision = await waitFor('an update revision', async () => (await getJson<{ status?: { updateRevision?: string } }>(['get', 'modelinfer', ASI, '-n', NS])).status?.updateRevision, { timeoutMs: 20_000 });

    const load = new ClosedLoopLoad(gw.url, AS, 120);
    try {
      load.set(5);
      await waitFor('scaled up in Kubernetes', async () => ((await getJson<{ spec: { replicas: number } }>(['get', 'modelinfer', ASI, '-n', NS])).spec.replicas > 1) || undefined, { timeoutMs: 30_000, everyMs: 200 });
      const pods = await waitFor('the new replicas ready', async () => {
        const r = await readyPods();
        return r.length >= 2 ? r : undefined;
      }, { timeoutMs: 60_000 });
      for (const r of kubelet!.running()) if (r.pid) pids.add(r.pid);
      expect(pods.find((p) => p.metadata.name === first.metadata.name)?.metadata.uid, 'the first replica kept its Pod').to.equal(first.metadata.uid);
      const mi = await getJson<{ spec: { replicas: number }; status: { updateRevision?: string }; metadata: { managedFields?: { manager: string; fieldsV1?: { 'f:spec'?: Record<string, unknown> } }[] } }>(['get', 'modelinfer', ASI, '-n', NS, '--show-managed-fields']);
      expect(mi.status.updateRevision).to.equal(revision);
      // The scale applier's server-side apply owns spec.replicas only; the mirror may co-own it
      // (it applies the log's ModelInfer, whose replicas the autoscaler also set), or take it
      // back when it applies a newer value first: either way no other field is the autoscaler's.
      const autoscaler = mi.metadata.managedFields?.find((f) => f.manager === 'matrixinfer-autoscaler');
      if (autoscaler) expect(Object.keys(autoscaler.fieldsV1?.['f:spec'] ?? {})).to.deep.equal(['f:replicas']);
      const decisions = (await readStream<AutoscalerDecisionData>(nc, 'decisions', decisionSubject('autoscaler', NS, ASI))).map((e) => e.envelope.data);
      expect(decisions.some((d) => d.valid && d.desiredReplicas > d.currentReplicas)).to.equal(true);
    } finally {
      await load.stop();
    }
    await k(['delete', 'model', AS, '-n', NS, '--wait=false']);
    await k(['delete', 'autoscalingpolicy', 'inflight', '-n', NS, '--wait=false']);
    await waitFor('its Pods gone', async () => (await readyPods()).length === 0 || undefined, { timeoutMs: 30_000 });
  });

  it('kubectl delete model while the controller is down: the finalizer holds it; once the controller is back everything derived, every Pod and Service and the Model go', async () => {
    const m = await getJson<Obj & { metadata: { finalizers?: string[] } }>(['get', 'model', MODEL, '-n', NS]);
    expect(m.metadata.finalizers).to.include('matrixinfer.ai/cleanup');
    await cp!.stop();
    cp = undefined;
    await k(['delete', 'model', MODEL, '-n', NS, '--wait=false']);
    await api.settle();
    // Held by the finalizer: nothing removed while nobody cleans up.
    const held = await getJson<Obj & { metadata: { deletionTimestamp?: string } }>(['get', 'model', MODEL, '-n', NS]);
    expect(held.metadata.deletionTimestamp).to.be.a('string');
    expect(await k(['get', 'pods', '-n', NS, '-o', 'name'])).to.include(`pod/${INFER}-0-server-0-0`);

    cp = await startSystem();
    await waitFor('everything derived gone, and the Model', async () => {
      await api.settle();
      const left = await k(['get', 'models,modelinfers,modelservers,modelroutes,pods', '-n', NS, '-o', 'name']);
      return left.trim() === '' ? true : undefined;
    }, { timeoutMs: 60_000, describe: async () => (await kubectl(api, ['get', 'models,modelinfers,modelservers,modelroutes,pods,services', '-n', NS, '-o', 'name'])).stdout });
    const services = await k(['get', 'services', '-n', NS, '-o', 'name']);
    expect(services).to.not.include(INFER);
    await waitFor('no route entry', async () => entryEndpoints(await readRoute(kv, MODEL)).length === 0, { timeoutMs: 20_000 });
    await waitFor('simulators stopped', () => [...pids].every((p) => !pidAlive(p)), { timeoutMs: 20_000 });
  });
});
