import { expect } from 'chai';
import { expectValid, getAt, loadExample, runInvalidCases, setAt, unsetAt } from '../testkit.js';

describe('Model schema', () => {
  const base = () => loadExample('model.yaml');

  it('accepts the examples and applies defaults', () => {
    expectValid(base());
    const r = expectValid(loadExample('model-disaggregated.yaml'));
    expect(getAt(r, 'metadata.namespace')).to.equal('default');
    expect(getAt(r, 'spec.backends[0].routeWeight')).to.equal(100);
    expect(getAt(r, 'spec.backends[0].scaleToZeroGracePeriod')).to.equal('30s');
    expect(getAt(r, 'spec.backends[0].workers[0].pods')).to.equal(1);
  });

  it('gives a backend without workers one server worker', () => {
    const doc = base();
    unsetAt(doc, 'spec.backends[0].workers');
    const r = expectValid(doc);
    expect(getAt(r, 'spec.backends[0].workers')).to.deep.equal([{ type: 'server', replicas: 1, pods: 1 }]);
  });

  it('defaults a worker without a type to a server worker (as MatrixInfer does)', () => {
    const doc = base();
    unsetAt(doc, 'spec.backends[0].workers[0].type');
    expect(getAt(expectValid(doc), 'spec.backends[0].workers[0].type')).to.equal('server');
  });

  for (const type of ['Triton', 'TorchServe']) {
    it(`accepts a ${type} backend with server workers (#21)`, () => {
      const doc = base();
      setAt(doc, 'spec.backends[0].type', type);
      setAt(doc, 'spec.backends[0].workers', [{ type: 'server', replicas: 1 }]);
      unsetAt(doc, 'spec.backends[0].loraAdapters');
      expect(getAt(expectValid(doc), 'spec.backends[0].type')).to.equal(type);
    });
  }

  it('accepts modelLifecycle on TorchServe (models with archives, workers) and on Triton (models) without adding defaults (#21)', () => {
    const doc = base();
    setAt(doc, 'spec.backends[0].type', 'TorchServe');
    unsetAt(doc, 'spec.backends[0].loraAdapters');
    setAt(doc, 'spec.backends[0].modelLifecycle', { models: [{ name: 'ranker', archive: 'ranker-v2.mar' }], minWorkers: 2, maxWorkers: 4 });
    expect(getAt(expectValid(doc), 'spec.backends[0].modelLifecycle')).to.deep.equal({ models: [{ name: 'ranker', archive: 'ranker-v2.mar' }], minWorkers: 2, maxWorkers: 4 });
    setAt(doc, 'spec.backends[0].type', 'Triton');
    setAt(doc, 'spec.backends[0].modelLifecycle', { models: [{ name: 'embedder_onnx' }] });
    expect(getAt(expectValid(doc), 'spec.backends[0].modelLifecycle')).to.deep.equal({ models: [{ name: 'embedder_onnx' }] });
  });

  it('leaves the input document untouched', () => {
    const doc = base();
    const before = structuredClone(doc);
    expectValid(doc);
    expect(doc).to.deep.equal(before);
  });

  it('takes MatrixInfer fields: inline autoscalingPolicy (quantity targets), envFrom, valueFrom, workers[] pod fields', () => {
    const doc = base();
    unsetAt(doc, 'spec.backends[0].autoscalingPolicyRef');
    setAt(doc, 'spec.autoscalingPolicy', { metrics: [{ metricName: 'matrixinfer:num_requests_waiting', targetValue: '500m' }] });
    setAt(doc, 'spec.backends[0].autoscalingPolicy', { metrics: [{ metricName: 'vllm:num_requests_waiting', targetValue: 10 }], tolerancePercent: 5 });
    setAt(doc, 'spec.backends[0].envFrom', [{ secretRef: { name: 'hf' } }, { prefix: 'APP_', configMapRef: { name: 'cfg', optional: true } }]);
    setAt(doc, 'spec.backends[0].env[0]', { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } } });
    setAt(doc, 'spec.backends[0].workers[0].replicas', 0);
    setAt(doc, 'spec.backends[0].workers[0].pods', 0);
    setAt(doc, 'spec.backends[0].workers[0].affinity', { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } });
    setAt(doc, 'spec.backends[0].workers[0].resources.claims', [{ name: 'gpu' }]);
    setAt(doc, 'spec.modelMatch', { headers: { 'x-team': { exact: 'a' } } });
    expectValid(doc);
  });

  runInvalidCases(base, [
    {
      name: 'inline policy and a policy name together',
      set: { 'spec.backends[0].autoscalingPolicy': { metrics: [{ metricName: 'm', targetValue: 1 }] } },
      path: 'spec.backends[0].autoscalingPolicyRef',
      message: 'not both',
    },
    {
      name: 'policy name in autoscalingPolicy (our old spelling)',
      mutate: (d) => {
        unsetAt(d, 'spec.backends[0].autoscalingPolicyRef');
        setAt(d, 'spec.backends[0].autoscalingPolicy', 'llama-scaling');
      },
      path: 'spec.backends[0].autoscalingPolicy',
      message: 'must be an object',
    },
    { name: 'inline policy target 0', set: { 'spec.autoscalingPolicy': { metrics: [{ metricName: 'm', targetValue: '0m' }] } }, path: 'spec.autoscalingPolicy.metrics[0].targetValue', message: 'greater than 0' },
    { name: 'inline policy target not a quantity', set: { 'spec.autoscalingPolicy': { metrics: [{ metricName: 'm', targetValue: 'ten' }] } }, path: 'spec.autoscalingPolicy.metrics[0].targetValue', message: 'must be a quantity' },
    { name: 'valueFrom with two sources', set: { 'spec.backends[0].env[0]': { name: 'X', valueFrom: { secretKeyRef: { name: 'a', key: 'b' }, configMapKeyRef: { name: 'a', key: 'b' } } } }, path: 'spec.backends[0].env[0].valueFrom', message: 'exactly one of' },
    { name: 'secretKeyRef without key', set: { 'spec.backends[0].env[0]': { name: 'X', valueFrom: { secretKeyRef: { name: 'a' } } } }, path: 'spec.backends[0].env[0].valueFrom.secretKeyRef.key', message: 'is required' },
    { name: 'envFrom misspelt', set: { 'spec.backends[0].envFrom': [{ secretRefs: { name: 'a' } }] }, path: 'spec.backends[0].envFrom[0].secretRefs', message: 'did you mean "secretRef"' },
    { name: 'name with a dot', set: { 'metadata.name': 'llama.3' }, path: 'metadata.name', message: 'DNS-1123' },
    { name: 'name with a wildcard', set: { 'metadata.name': 'llama*' }, path: 'metadata.name', message: 'DNS-1123' },
    { name: 'namespace upper-case', set: { 'metadata.namespace': 'Prod' }, path: 'metadata.namespace', message: 'DNS-1123' },
    { name: 'name too long', set: { 'metadata.name': 'a'.repeat(64) }, path: 'metadata.name', message: 'at most 63 characters' },
    { name: 'no backends', set: { 'spec.backends': [] }, path: 'spec.backends', message: 'at least 1 item (got a list of 0 items)' },
    { name: 'unknown backend type', set: { 'spec.backends[0].type': 'vllm' }, path: 'spec.backends[0].type', message: 'did you mean "vLLM"' },
    { name: 'routeWeight above 100', set: { 'spec.backends[0].routeWeight': 140 }, path: 'spec.backends[0].routeWeight', message: 'must be between 0 and 100 (got 140)' },
    { name: 'min above max', set: { 'spec.backends[0].minReplicas': 5 }, path: 'spec.backends[0].minReplicas', message: 'must not be greater than maxReplicas (5 > 4)' },
    { name: 'grace above 1800s', set: { 'spec.backends[0].scaleToZeroGracePeriod': '31m' }, path: 'spec.backends[0].scaleToZeroGracePeriod', message: 'at most 1800s' },
    { name: 'grace not a duration', set: { 'spec.backends[0].scaleToZeroGracePeriod': '30 seconds' }, path: 'spec.backends[0].scaleToZeroGracePeriod', message: 'must be a duration' },
    { name: 'bad model URI', set: { 'spec.backends[0].modelURI': 'meta-llama/x' }, path: 'spec.backends[0].modelURI', message: 'hf://' },
    {
      name: 'duplicate backend name',
      mutate: (d) => setAt(d, 'spec.backends[1]', structuredClone(getAt(d, 'spec.backends[0]'))),
      path: 'spec.backends[1].name',
      message: 'duplicate backend name "vllm-main"',
    },
    { name: 'LoRA name with a dot', set: { 'spec.backends[0].loraAdapters[0].name': 'sql.v1' }, path: 'spec.backends[0].loraAdapters[0].name', message: 'LoRA adapter name' },
    { name: 'duplicate LoRA name', set: { 'spec.backends[0].loraAdapters[1].name': 'sql-lora' }, path: 'spec.backends[0].loraAdapters[1].name', message: 'duplicate LoRA adapter name' },
    { name: 'prefill worker on vLLM', set: { 'spec.backends[0].workers[1]': { type: 'prefill' } }, path: 'spec.backends[0].workers', message: 'vLLMDisaggregated' },
    { name: 'config a list', set: { 'spec.backends[0].workers[0].config': ['--max-model-len', '8192'] }, path: 'spec.backends[0].workers[0].config', message: 'must be an object of engine flags (e.g. {"max-model-len": 8192}), got a list' },
    { name: 'config a string', set: { 'spec.backends[0].workers[0].config': '--enforce-eager' }, path: 'spec.backends[0].workers[0].config', message: 'got a string' },
    { name: 'config null', set: { 'spec.backends[0].workers[0].config': null }, path: 'spec.backends[0].workers[0].config', message: 'got null' },
    { name: 'config with an empty flag name', set: { 'spec.backends[0].workers[0].config': { ' ': 1 } }, path: 'spec.backends[0].workers[0].config', message: 'must not be empty' },
    { name: 'misspelt metadata field', set: { 'metadata.lables': { a: 'b' } }, path: 'metadata.lables', message: 'did you mean "labels"' },
    { name: 'misspelt field', set: { 'spec.backends[0].maxReplica': 3 }, path: 'spec.backends[0].maxReplica', message: 'did you mean "maxReplicas"' },
    { name: 'missing maxReplicas', unset: ['spec.backends[0].maxReplicas'], path: 'spec.backends[0].maxReplicas', message: 'is required' },
    { name: 'replicas as string', set: { 'spec.backends[0].minReplicas': 'one' }, path: 'spec.backends[0].minReplicas', message: 'must be an integer (got "one")' },
    {
      name: 'bad GPU quantity',
      set: { 'spec.backends[0].workers[0].resources.limits["nvidia.com/gpu"]': 'lots' },
      path: 'spec.backends[0].workers[0].resources.limits["nvidia.com/gpu"]',
      message: 'must be a quantity',
    },
    { name: 'served name with a space', set: { 'spec.name': 'llama 3' }, path: 'spec.name', message: 'must be a model name' },
    {
      name: 'TorchServe backend with a prefill worker',
      set: { 'spec.backends[0].type': 'TorchServe', 'spec.backends[0].workers': [{ type: 'prefill' }, { type: 'decode' }] },
      path: 'spec.backends[0].workers',
      message: 'runs "server" workers only',
    },
    {
      name: 'Triton backend with LoRA adapters',
      set: { 'spec.backends[0].type': 'Triton', 'spec.backends[0].loraAdapters': [] },
      path: 'spec.backends[0].loraAdapters',
      message: 'has no LoRA adapter API',
    },
    { name: 'modelLifecycle on vLLM', set: { 'spec.backends[0].modelLifecycle': {} }, path: 'spec.backends[0].modelLifecycle', message: 'has no model lifecycle API' },
    {
      name: 'Triton modelLifecycle with workers',
      set: { 'spec.backends[0].type': 'Triton', 'spec.backends[0].loraAdapters': undefined, 'spec.backends[0].modelLifecycle': { minWorkers: 2 } },
      path: 'spec.backends[0].modelLifecycle.minWorkers',
      message: 'Triton has no worker API',
    },
    {
      name: 'TorchServe maxWorkers below minWorkers',
      set: { 'spec.backends[0].type': 'TorchServe', 'spec.backends[0].loraAdapters': undefined, 'spec.backends[0].modelLifecycle': { minWorkers: 3, maxWorkers: 2 } },
      path: 'spec.backends[0].modelLifecycle.maxWorkers',
      message: 'must not be less than minWorkers (3)',
    },
    {
      name: 'duplicate lifecycle model',
      set: { 'spec.backends[0].type': 'Triton', 'spec.backends[0].loraAdapters': undefined, 'spec.backends[0].modelLifecycle': { models: [{ name: 'a' }, { name: 'a' }] } },
      path: 'spec.backends[0].modelLifecycle.models[1].name',
      message: 'duplicate lifecycle model name',
    },
    { name: 'wrong apiVersion', set: { apiVersion: 'workload.matrixinfer.ai/v1alpha1' }, path: 'apiVersion', message: 'must be "registry.matrixinfer.ai/v1alpha1" for kind Model' },
  ]);
});
