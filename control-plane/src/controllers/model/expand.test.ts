import { expect } from 'chai';
import { createResourceValidator } from '@matrixinfer/schemas';
import { INSTANCE_LABELS } from '@matrixinfer/events';
import { makeModel } from '../testdata.js';
import type { AutoscalingPolicyBinding, ModelInfer, ModelRoute, ModelServer } from '../types.js';
import { configToArgs, expandModel, kvConnectorOf } from './expand.js';

describe('model expansion', () => {
  const cases: { name: string; args: unknown; want: string[] }[] = [
    { name: 'empty config', args: undefined, want: [] },
    { name: 'sorted flags with values', args: { 'max-num-seqs': 8, 'block-size': 16 }, want: ['--block-size', '16', '--max-num-seqs', '8'] },
    { name: 'booleans', args: { 'enable-prefix-caching': true, 'enforce-eager': false }, want: ['--enable-prefix-caching'] },
    { name: 'arrays and objects', args: { lora: ['a', 'b'], kv: { x: 1 } }, want: ['--kv', '{"x":1}', '--lora', 'a', 'b'] },
  ];
  for (const tc of cases) {
    it(`configToArgs: ${tc.name}`, () => {
      expect(configToArgs(tc.args as Record<string, unknown> | undefined)).to.deep.equal(tc.want);
    });
  }

  it('a simulated server backend becomes ModelInfer + ModelServer + ModelRoute with owner refs', () => {
    const model = makeModel('llama', [{ minReplicas: 2, workers: [{ type: 'server', config: { 'max-num-seqs': 4 } }] }], { uid: 'u1' });
    const children = expandModel(model);
    expect(children.map((c) => `${c.kind}/${c.metadata.name}`)).to.deep.equal(['ModelInfer/llama-b0', 'ModelServer/llama-b0', 'ModelRoute/llama']);
    for (const c of children) {
      expect(c.metadata.ownerReferences).to.deep.equal([{ apiVersion: model.apiVersion, kind: 'Model', name: 'llama', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
      expect(c.metadata.namespace).to.equal('default');
    }
    const mi = children[0] as ModelInfer;
    expect(mi.spec.replicas).to.equal(2);
    expect(mi.spec.template.roles.map((r) => r.name)).to.deep.equal(['server']);
    const c = mi.spec.template.roles[0].entryTemplate.spec.containers[0];
    expect(c.command).to.deep.equal(['mi-engine-sim']);
    expect(c.args).to.deep.equal(['--max-num-seqs', '4', '--model', 'llama', '--engine', 'vllm']);
    const server = children[1] as ModelServer;
    expect(server.spec.workloadSelector.matchLabels).to.deep.equal({ [INSTANCE_LABELS.modelInfer]: 'llama-b0' });
    expect(server.spec.inferenceEngine).to.equal('vLLM');
    // Failover on by default (#16): 5 retries, as MatrixInfer's derived ModelServers.
    expect(server.spec.trafficPolicy).to.deep.equal({ retry: { attempts: 5 } });
    expect(server.spec.kvConnector).to.equal(undefined);
    const route = children[2] as ModelRoute;
    expect(route.spec.modelName).to.equal('llama');
    expect(route.spec.rules[0].targetModels).to.deep.equal([{ modelServerName: 'llama-b0', weight: 100 }]);
  });

  it('an image worker runs its engine (SGLang launcher on the downloaded weights), no simulator flags', () => {
    const model = makeModel('qwen', [{ type: 'SGLang', workers: [{ type: 'server', image: 'lmsys/sglang:latest' }] }]);
    const mi = expandModel(model)[0] as ModelInfer;
    const c = mi.spec.template.roles[0].entryTemplate.spec.containers[0];
    expect(c.image).to.equal('lmsys/sglang:latest');
    expect(c.command).to.deep.equal(['python3', '-m', 'sglang.launch_server']);
    expect(c.args).to.deep.equal(['--model-path', '/models/test/model', '--served-model-name', 'qwen', '--host', '0.0.0.0', '--port', '$(PORT)', '--enable-metrics']);
    expect((expandModel(model)[1] as ModelServer).spec.inferenceEngine).to.equal('SGLang');
  });

  it('a backend without workers gets one server worker', () => {
    const mi = expandModel(makeModel('w', [{ workers: undefined }]))[0] as ModelInfer;
    expect(mi.spec.template.roles.map((r) => r.name)).to.deep.equal(['server']);
  });

  it('a Model-wide policy binds the other backends through the cost optimizer', () => {
    const model = makeModel('opt', [{ name: 'a', scalingCost: 2, maxReplicas: 3 }, { name: 'b', autoscalingPolicyRef: 'own' }, { name: 'c', scalingCost: 5, minReplicas: 0 }]);
    model.spec.autoscalingPolicyRef = 'shared';
    model.spec.costExpansionRatePercent = 150;
    const bindings = expandModel(model).filter((c) => c.kind === 'AutoscalingPolicyBinding') as AutoscalingPolicyBinding[];
    expect(bindings.map((b) => b.metadata.name)).to.deep.equal(['opt-b', 'opt']);
    expect(bindings[1].spec).to.deep.equal({
      policyRef: { name: 'shared' },
      optimizerConfiguration: {
        costExpansionRatePercent: 150,
        params: [
          { target: { targetRef: { kind: 'ModelInfer', name: 'opt-a' } }, cost: 2, minReplicas: 1, maxReplicas: 3 },
          { target: { targetRef: { kind: 'ModelInfer', name: 'opt-c' } }, cost: 5, minReplicas: 0, maxReplicas: 4 },
        ],
      },
    });
  });

  it('prefill/decode workers become two roles, a pdGroup selector and a kv connector', () => {
    const model = makeModel('pd', [{ type: 'vLLMDisaggregated', workers: [{ type: 'prefill', replicas: 1 }, { type: 'decode', replicas: 2, pods: 2 }] }]);
    const [mi, server] = expandModel(model) as [ModelInfer, ModelServer];
    expect(mi.spec.template.roles.map((r) => [r.name, r.replicas, r.workerReplicas])).to.deep.equal([
      ['prefill', 1, undefined],
      ['decode', 2, 1],
    ]);
    expect(mi.spec.template.roles[0].entryTemplate.spec.containers[0].args).to.include.members(['--role', 'prefill']);
    expect(server.spec.workloadSelector.pdGroup).to.deep.equal({
      groupKey: INSTANCE_LABELS.group,
      prefillLabels: { [INSTANCE_LABELS.role]: 'prefill' },
      decodeLabels: { [INSTANCE_LABELS.role]: 'decode' },
    });
    expect(server.spec.kvConnector).to.deep.equal({ type: 'http' });
  });

  const connectorCases: { name: string; config?: Record<string, unknown>; want: string }[] = [
    { name: 'no kv-transfer-config', want: 'http' },
    { name: 'NixlConnector as a JSON string', config: { 'kv-transfer-config': '{"kv_connector":"NixlConnector","kv_role":"kv_both"}' }, want: 'nixl' },
    { name: 'LMCacheConnectorV1 as an object', config: { 'kv-transfer-config': { kv_connector: 'LMCacheConnectorV1' } }, want: 'lmcache' },
    { name: 'MooncakeConnector', config: { 'kv-transfer-config': '{"kv_connector":"MooncakeConnector"}' }, want: 'mooncake' },
    { name: 'unparsable config', config: { 'kv-transfer-config': '{nope' }, want: 'http' },
    { name: 'unknown connector', config: { 'kv-transfer-config': '{"kv_connector":"P2pNcclConnector"}' }, want: 'http' },
  ];
  for (const tc of connectorCases) {
    it(`kvConnectorOf: ${tc.name}`, () => {
      const model = makeModel('pd', [{ type: 'vLLMDisaggregated', workers: [{ type: 'prefill', config: tc.config }, { type: 'decode', config: tc.config }] }]);
      expect(kvConnectorOf(model.spec.backends[0])).to.equal(tc.want);
      expect((expandModel(model)[1] as ModelServer).spec.kvConnector).to.deep.equal({ type: tc.want });
    });
  }

  it('adding or removing a hub/file LoRA adapter changes neither the ModelInfer template nor its revision (#16)', () => {
    const infer = (adapters: { name: string; artifactURL: string }[]): ModelInfer => expandModel(makeModel('lr', [{ name: 'b', loraAdapters: adapters }]))[0] as ModelInfer;
    const none = infer([]);
    const one = infer([{ name: 'sql', artifactURL: 'hf://x/sql' }]);
    const two = infer([{ name: 'sql', artifactURL: 'hf://x/sql' }, { name: 'chat', artifactURL: 'file:///adapters/chat' }]);
    expect(one.metadata.labels).to.deep.equal(none.metadata.labels);
    expect(two.spec.template).to.deep.equal(none.spec.template);
    // An s3 adapter must be downloaded before the engine starts: it is part of the template.
    const s3 = infer([{ name: 'sql', artifactURL: 's3://bucket/sql' }]);
    expect(s3.spec.template).to.not.deep.equal(none.spec.template);
  });

  it('two backends: weighted targets, sorted LoRA adapters, a binding for the autoscaled one', () => {
    const model = makeModel('mix', [
      { name: 'fast', routeWeight: 70, loraAdapters: [{ name: 'sql', artifactURL: 'hf://x/sql' }], autoscalingPolicyRef: 'p1', minReplicas: 1, maxReplicas: 4 },
      { name: 'slow', routeWeight: 30, loraAdapters: [{ name: 'chat', artifactURL: 'hf://x/chat' }, { name: 'sql', artifactURL: 'hf://x/sql' }] },
    ]);
    const children = expandModel(model);
    expect(children.map((c) => `${c.kind}/${c.metadata.name}`)).to.deep.equal([
      'ModelInfer/mix-fast',
      'ModelServer/mix-fast',
      'AutoscalingPolicyBinding/mix-fast',
      'ModelInfer/mix-slow',
      'ModelServer/mix-slow',
      'ModelRoute/mix',
    ]);
    const fast = (children[0] as ModelInfer).spec.template.roles[0].entryTemplate.spec.containers[0].args!;
    // Hub adapters are loaded live by the endpoint controller: only --enable-lora is in the template.
    expect(fast.slice(fast.indexOf('--enable-lora'))).to.deep.equal(['--enable-lora', '--engine', 'vllm']);
    const route = children[5] as ModelRoute;
    expect(route.spec.rules[0].targetModels).to.deep.equal([
      { modelServerName: 'mix-fast', weight: 70 },
      { modelServerName: 'mix-slow', weight: 30 },
    ]);
    expect(route.spec.loraAdapters).to.deep.equal(['chat', 'sql']);
    const binding = children[2] as AutoscalingPolicyBinding;
    expect(binding.spec).to.deep.equal({
      policyRef: { name: 'p1' },
      scalingConfiguration: { target: { targetRef: { kind: 'ModelInfer', name: 'mix-fast' } }, minReplicas: 1, maxReplicas: 4 },
    });
  });

  it('an autoscaled backend keeps the replica count the autoscaler set, clamped to [min, max]', () => {
    const model = makeModel('a', [{ autoscalingPolicyRef: 'p', minReplicas: 1, maxReplicas: 3 }]);
    expect((expandModel(model, () => 2)[0] as ModelInfer).spec.replicas).to.equal(2);
    expect((expandModel(model, () => 9)[0] as ModelInfer).spec.replicas).to.equal(3);
    const fixed = makeModel('f', [{ minReplicas: 1 }]);
    expect((expandModel(fixed, () => 2)[0] as ModelInfer).spec.replicas).to.equal(1);
  });

  it('rejects worker sets it cannot turn into roles', () => {
    expect(() => expandModel(makeModel('x', [{ workers: [{ type: 'prefill' }] }]))).to.throw(/workers must be/);
    expect(() => expandModel(makeModel('x', [{ name: 'a' }, { name: 'a' }]))).to.throw(/used twice/);
  });

  it('every child passes the schema validation the API applies (PD, LoRA, both binding kinds)', () => {
    const validator = createResourceValidator();
    const model = makeModel(
      'valid',
      [
        { name: 'pd', type: 'vLLMDisaggregated', workers: [{ type: 'prefill' }, { type: 'decode', pods: 2, config: { 'max-num-seqs': 8 } }], autoscalingPolicyRef: 'p' },
        { name: 'agg', loraAdapters: [{ name: 'sql', artifactURL: 'hf://x/sql' }] },
      ],
      { uid: 'u' },
    );
    model.spec.autoscalingPolicyRef = 'shared';
    for (const child of expandModel(model)) {
      const r = validator.validate(child);
      expect(r.ok, `${child.kind}/${child.metadata.name}: ${JSON.stringify(r.ok ? [] : r.errors)}`).to.equal(true);
    }
  });

  it('every child carries the MatrixInfer labels; the revision hashes what the child asks for', () => {
    const model = makeModel('lab', [{ name: 'x' }], { uid: 'u9' });
    const children = expandModel(model);
    for (const c of children) {
      const l = c.metadata.labels!;
      expect(l['registry.matrixinfer.ai/model-name']).to.equal('lab');
      expect(l['registry.matrixinfer.ai/model-uid']).to.equal('u9');
      expect(l['registry.matrixinfer.ai/revision']).to.match(/^[0-9a-f]{10}$/);
      expect(l['registry.matrixinfer.ai/backend-name']).to.equal(c.kind === 'ModelRoute' ? undefined : 'x');
    }
    const scaled = expandModel(makeModel('lab', [{ name: 'x', autoscalingPolicyRef: 'p', maxReplicas: 4 }], { uid: 'u9' }), () => 3)[0];
    expect(scaled.metadata.labels!['registry.matrixinfer.ai/revision'], 'replicas set by an autoscaler do not change the revision').to.equal(children[0].metadata.labels!['registry.matrixinfer.ai/revision']);
  });

  it('inline policies (MatrixInfer) become AutoscalingPolicy children named like their bindings', () => {
    const policy = { metrics: [{ metricName: 'vllm:num_requests_waiting', targetValue: 10 }] };
    const model = makeModel('inl', [{ name: 'a', autoscalingPolicy: policy }, { name: 'b', scalingCost: 3 }]);
    model.spec.autoscalingPolicy = { ...policy, tolerancePercent: 5 };
    const children = expandModel(model);
    expect(children.map((c) => `${c.kind}/${c.metadata.name}`)).to.deep.equal([
      'ModelInfer/inl-a',
      'ModelServer/inl-a',
      'AutoscalingPolicy/inl-a',
      'AutoscalingPolicyBinding/inl-a',
      'ModelInfer/inl-b',
      'ModelServer/inl-b',
      'AutoscalingPolicy/inl',
      'AutoscalingPolicyBinding/inl',
      'ModelRoute/inl',
    ]);
    expect(children[2].spec).to.deep.equal(policy);
    expect((children[3] as AutoscalingPolicyBinding).spec.policyRef).to.deep.equal({ name: 'inl-a' });
    expect(children[6].spec).to.deep.equal({ ...policy, tolerancePercent: 5 });
    const shared = children[7] as AutoscalingPolicyBinding;
    expect(shared.spec.policyRef).to.deep.equal({ name: 'inl' });
    expect(shared.spec.optimizerConfiguration!.params.map((p) => [p.target.targetRef.name, p.cost])).to.deep.equal([['inl-b', 3]]);
  });

  it('autoscalingPolicyRef names a policy applied on its own: a binding, no policy child', () => {
    const model = makeModel('ref', [{ name: 'a', autoscalingPolicyRef: 'team-policy' }]);
    const kinds = expandModel(model).map((c) => c.kind);
    expect(kinds).to.deep.equal(['ModelInfer', 'ModelServer', 'AutoscalingPolicyBinding', 'ModelRoute']);
    expect((expandModel(model)[2] as AutoscalingPolicyBinding).spec.policyRef).to.deep.equal({ name: 'team-policy' });
  });

  it('pods: 0 and replicas: 0 mean one, as in MatrixInfer (Go zero values)', () => {
    const mi = expandModel(makeModel('z', [{ workers: [{ type: 'server', replicas: 0, pods: 0 }] }]))[0] as ModelInfer;
    expect(mi.spec.template.roles.map((r) => [r.replicas, r.workerReplicas])).to.deep.equal([[1, undefined]]);
  });

  it('real vLLM PD workers: kv-transfer-config on both roles and the ModelServer speaks its connector', () => {
    const model = makeModel('rpd', [{ type: 'vLLMDisaggregated', workers: [{ type: 'prefill', image: 'vllm' }, { type: 'decode', image: 'vllm' }] }]);
    const [mi, server] = expandModel(model) as [ModelInfer, ModelServer];
    for (const r of mi.spec.template.roles) expect(r.entryTemplate.spec.containers[0].args).to.include.members(['--kv-transfer-config', '{"kv_connector":"NixlConnector","kv_role":"kv_both"}']);
    expect(server.spec.kvConnector).to.deep.equal({ type: 'nixl' });
  });

  it("the ModelServer names the model the engines serve (the config's served-model-name), the route the client-facing one", () => {
    const model = makeModel('demo', [{ workers: [{ type: 'server', image: 'vllm', config: { 'served-model-name': 'Qwen2.5-0.5B-Instruct' } }] }]);
    const children = expandModel(model);
    expect((children[1] as ModelServer).spec.model).to.equal('Qwen2.5-0.5B-Instruct');
    expect((children[2] as ModelRoute).spec.modelName).to.equal('demo');
  });

  it('is deterministic', () => {
    const m = makeModel('d', [{ workers: [{ type: 'server', config: { b: 1, a: 2 } }] }]);
    expect(JSON.stringify(expandModel(m))).to.equal(JSON.stringify(expandModel(structuredClone(m))));
  });
});
