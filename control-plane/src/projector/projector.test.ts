import { expect } from 'chai';
import { encodeRouteEntry, statusKey, stableStringify, type InstanceSpec } from '@matrixinfer/events';
import { expandModel } from '../controllers/model/expand.js';
import { reconcileInfer } from '../controllers/infer/reconcile.js';
import { makeModel, observe } from '../controllers/testdata.js';
import type { AnyResource, ModelInfer, ModelRoute, ModelServer } from '../controllers/types.js';
import { durationMs } from './duration.js';
import { projectRoutes } from './routes.js';
import { foldProjector, initialProjectorState, type ProjectorEvent, type ProjectorState } from './state.js';
import { projectStatus } from './status.js';

function res(r: AnyResource, revision = 1): ProjectorEvent {
  return { type: 'resource', kind: r.kind, namespace: r.metadata.namespace ?? 'default', name: r.metadata.name, revision, resource: r };
}

/** A model's children, its instance decision, and the instances (not yet observed). */
function scenario(model = makeModel('llama', [{ minReplicas: 2 }])): { events: ProjectorEvent[]; instances: InstanceSpec[] } {
  const children = expandModel(model);
  const events: ProjectorEvent[] = [res(model), ...children.map((c) => res(c))];
  const instances: InstanceSpec[] = [];
  for (const c of children.filter((c): c is ModelInfer => c.kind === 'ModelInfer')) {
    const out = reconcileInfer({ mi: c, published: [], observed: new Map(), nowMs: 0 });
    instances.push(...out.next!.instances);
    events.push({ type: 'decision', decision: { modelInfer: c.metadata.name, namespace: 'default', generation: 1, instances: out.next!.instances, reason: 'test' } });
  }
  return { events, instances };
}

function build(events: ProjectorEvent[]): ProjectorState {
  const s = initialProjectorState();
  for (const e of events) foldProjector(s, e);
  return s;
}

function bytes(s: ProjectorState): string[] {
  return [...projectRoutes(s).entries].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, e]) => `${k}=${new TextDecoder().decode(encodeRouteEntry(e))}`);
}

describe('projector', () => {
  const cases = [
    { name: '30s', in: '30s', want: 30_000 },
    { name: '500ms', in: '500ms', want: 500 },
    { name: '1m30s', in: '1m30s', want: 90_000 },
    { name: 'absent', in: undefined, want: undefined },
    { name: 'garbage', in: 'soon', want: undefined },
  ];
  for (const tc of cases) it(`durationMs ${tc.name}`, () => expect(durationMs(tc.in)).to.equal(tc.want));

  it('lists an endpoint only while its instance is ready (add on ready, drop on failed)', () => {
    const { events, instances } = scenario();
    const s = build(events);
    const eps = () => projectRoutes(s).entries.get('llama')!.servers['llama-b0'].endpoints.map((e) => `${e.id}@${e.address}`);
    expect(eps()).to.deep.equal([]);
    foldProjector(s, { type: 'observation', observation: observe(instances[1], 'ready', 10, 9001) });
    foldProjector(s, { type: 'observation', observation: observe(instances[0], 'starting', 10) });
    expect(eps()).to.deep.equal(['llama-b0-1-server-0-0@http://127.0.0.1:9001']);
    foldProjector(s, { type: 'observation', observation: observe(instances[0], 'ready', 11, 9000) });
    expect(eps()).to.deep.equal(['llama-b0-0-server-0-0@http://127.0.0.1:9000', 'llama-b0-1-server-0-0@http://127.0.0.1:9001']);
    foldProjector(s, { type: 'observation', observation: observe(instances[1], 'failed', 12) });
    expect(eps()).to.deep.equal(['llama-b0-0-server-0-0@http://127.0.0.1:9000']);
    // A late, older report must not bring it back.
    foldProjector(s, { type: 'observation', observation: observe(instances[1], 'ready', 11, 9001) });
    expect(eps()).to.deep.equal(['llama-b0-0-server-0-0@http://127.0.0.1:9000']);
  });

  it('drops an endpoint as soon as a decision replaces its run (new incarnation)', () => {
    const { events, instances } = scenario();
    const s = build(events);
    for (const i of instances) foldProjector(s, { type: 'observation', observation: observe(i, 'ready', 10) });
    const replaced = instances.map((i, n) => (n === 0 ? { ...i, incarnation: 1 } : i));
    foldProjector(s, { type: 'decision', decision: { modelInfer: 'llama-b0', namespace: 'default', generation: 1, instances: replaced, reason: 'recreate' } });
    expect(projectRoutes(s).entries.get('llama')!.servers['llama-b0'].endpoints.map((e) => e.id)).to.deep.equal(['llama-b0-1-server-0-0']);
  });

  it('is deterministic: the same events in any order give byte-identical entries', () => {
    const { events, instances } = scenario(makeModel('m', [{ name: 'a', loraAdapters: [{ name: 'sql', artifactURL: 'x' }] }, { name: 'b', routeWeight: 20 }]));
    const all = [...events, ...instances.map((i, n) => ({ type: 'observation' as const, observation: observe(i, 'ready', 5, 9000 + n) }))];
    const forward = bytes(build(all));
    const backward = bytes(build([...all].reverse()));
    const shuffled = bytes(build([...all].sort((a, b) => (stableStringify(a) < stableStringify(b) ? -1 : 1))));
    expect(forward).to.have.length(2);
    expect(backward).to.deep.equal(forward);
    expect(shuffled).to.deep.equal(forward);
    expect(forward[0]).to.match(/^m=\{"format":"mi.route\/v1","kind":"model"/);
    expect(forward[1]).to.match(/^sql=\{"format":"mi.route\/v1","kind":"lora"/);
    expect(forward.join('')).to.not.match(/time|Ms":\d{10}/);
  });

  it('maps PD roles and groups from the pdGroup selector; workers are not endpoints', () => {
    const model = makeModel('pd', [{ type: 'vLLMDisaggregated', workers: [{ type: 'prefill' }, { type: 'decode', pods: 2 }] }]);
    const { events, instances } = scenario(model);
    const s = build(events);
    for (const i of instances) foldProjector(s, { type: 'observation', observation: observe(i, 'ready', 5, 9000 + i.podIndex) });
    const server = projectRoutes(s).entries.get('pd')!.servers['pd-b0'];
    expect(server.kvConnector).to.deep.equal({ type: 'http' });
    expect(server.endpoints.map((e) => [e.id, e.role, e.pdGroup])).to.deep.equal([
      ['pd-b0-0-decode-0-0', 'decode', 'pd-b0-0'],
      ['pd-b0-0-prefill-0-0', 'prefill', 'pd-b0-0'],
    ]);
  });

  it('turns a route into rules, servers, policies and rate limits; removes the entry with the route', () => {
    const server: ModelServer = {
      apiVersion: 'networking.matrixinfer.ai/v1alpha1',
      kind: 'ModelServer',
      metadata: { name: 's1', namespace: 'default' },
      spec: {
        model: 'upstream',
        inferenceEngine: 'SGLang',
        workloadSelector: { matchLabels: { app: 'x' } },
        workloadPort: { port: 8000 },
        trafficPolicy: { timeout: '30s', retry: { attempts: 2, retryInterval: '500ms' }, streamIdleTimeout: '5s', outlierDetection: { consecutive5xx: 7, baseEjectionTime: '2s', maxEjectionPercent: 30 } },
      },
    };
    const route: ModelRoute = {
      apiVersion: 'networking.matrixinfer.ai/v1alpha1',
      kind: 'ModelRoute',
      metadata: { name: 'r1', namespace: 'default' },
      spec: {
        modelName: 'chat',
        loraAdapters: ['z-lora', 'a-lora'],
        rules: [
          { name: 'beta', modelMatch: { headers: { 'X-Beta': { exact: '1' } } }, targetModels: [{ modelServerName: 's1', weight: 10 }] },
          { name: 'default', targetModels: [{ modelServerName: 's1' }, { modelServerName: 'missing' }] },
        ],
        rateLimit: { inputTokensPerUnit: 1000, unit: 'minute', global: { nats: {} } },
      },
    };
    const s = build([res(server), res(route)]);
    const { entries } = projectRoutes(s);
    expect([...entries.keys()].sort()).to.deep.equal(['a-lora', 'chat', 'z-lora']);
    const e = entries.get('chat')!;
    expect(e.rules).to.deep.equal([
      { name: 'beta', match: { headers: { 'x-beta': { exact: '1' } } }, targets: [{ modelServer: 's1', weight: 10 }] },
      { name: 'default', targets: [{ modelServer: 's1', weight: 100 }, { modelServer: 'missing', weight: 100 }] },
    ]);
    expect(Object.keys(e.servers)).to.deep.equal(['s1']);
    expect(e.servers.s1).to.deep.equal({
      name: 's1',
      namespace: 'default',
      engine: 'SGLang',
      model: 'upstream',
      trafficPolicy: { timeoutMs: 30_000, retry: { attempts: 2, retryIntervalMs: 500 }, streamIdleTimeoutMs: 5000, outlierDetection: { consecutive5xx: 7, baseEjectionTimeMs: 2000, maxEjectionPercent: 30 } },
      endpoints: [],
    });
    expect(e.rateLimit).to.deep.equal({ unit: 'minute', inputTokensPerUnit: 1000, global: true });
    expect(entries.get('a-lora')!.kind).to.equal('lora');
    foldProjector(s, { type: 'resource', kind: 'ModelRoute', namespace: 'default', name: 'r1', revision: 9, resource: null });
    expect(projectRoutes(s).entries.size).to.equal(0);
  });

  it('a model name beats a LoRA name of another route; the loser is reported', () => {
    const route = (name: string, modelName: string, lora: string[]): ModelRoute => ({
      apiVersion: 'networking.matrixinfer.ai/v1alpha1',
      kind: 'ModelRoute',
      metadata: { name, namespace: 'default' },
      spec: { modelName, loraAdapters: lora, rules: [{ name: 'r', targetModels: [{ modelServerName: 'x' }] }] },
    });
    const { entries, conflicts } = projectRoutes(build([res(route('a', 'alpha', ['beta'])), res(route('b', 'beta', []))]));
    expect(entries.get('beta')!.route).to.equal('b');
    expect(conflicts).to.deep.equal(['lora name beta of ModelRoute default/a is already routed by ModelRoute default/b']);
  });

  it("a ModelServer's own LoRA adapters are routed by every route that targets it", () => {
    const server = (name: string, adapters: string[]): ModelServer => ({
      apiVersion: 'networking.matrixinfer.ai/v1alpha1',
      kind: 'ModelServer',
      metadata: { name, namespace: 'default' },
      spec: { inferenceEngine: 'vLLM', workloadSelector: { matchLabels: { app: name } }, loraAdapters: adapters.map((a) => ({ name: a, artifactURL: `hf://org/${a}` })) },
    });
    const route: ModelRoute = {
      apiVersion: 'networking.matrixinfer.ai/v1alpha1',
      kind: 'ModelRoute',
      metadata: { name: 'base', namespace: 'default' },
      spec: { modelName: 'base', loraAdapters: ['sql'], rules: [{ name: 'all', targetModels: [{ modelServerName: 'a' }, { modelServerName: 'b' }] }] },
    };
    const { entries } = projectRoutes(build([res(server('a', ['chat', 'sql'])), res(server('b', ['code'])), res(route)]));
    expect([...entries.keys()].sort()).to.deep.equal(['base', 'chat', 'code', 'sql']);
    expect(entries.get('code')).to.include({ kind: 'lora', route: 'base' });
    expect(Object.keys(entries.get('code')!.servers).sort()).to.deep.equal(['a', 'b']);
  });

  it('projects ModelInfer and Model status: Active once a replica is ready', () => {
    const { events, instances } = scenario(makeModel('llama', [{ minReplicas: 2 }]));
    const s = build(events);
    const modelActive = () => (projectStatus(s).get(statusKey('Model', 'default', 'llama')) as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === 'Active')!.status;
    expect(modelActive()).to.equal('False');
    foldProjector(s, { type: 'observation', observation: observe(instances[0], 'ready', 1) });
    expect(modelActive()).to.equal('True');
    const st = projectStatus(s).get(statusKey('ModelInfer', 'default', 'llama-b0')) as Record<string, unknown>;
    expect([st.replicas, st.currentReplicas, st.updatedReplicas, st.availableReplicas]).to.deep.equal([2, 2, 2, 1]);
    expect(projectStatus(s).get(statusKey('ModelServer', 'default', 'llama-b0'))).to.deep.equal({ observedGeneration: 1, readyEndpoints: 1 });
  });
});
