import { expect } from 'chai';
import { expectValid, getAt, loadExample, runInvalidCases } from '../testkit.js';

describe('AutoscalingPolicy schema', () => {
  const base = () => loadExample('autoscalingpolicy.yaml');

  it('accepts the example and defaults tolerance', () => {
    const doc = base();
    delete (doc.spec as Record<string, unknown>).tolerancePercent;
    expect(getAt(expectValid(doc), 'spec.tolerancePercent')).to.equal(10);
  });

  runInvalidCases(base, [
    { name: 'no metrics', set: { 'spec.metrics': [] }, path: 'spec.metrics', message: 'at least 1 item' },
    { name: 'target zero', set: { 'spec.metrics[0].targetValue': 0 }, path: 'spec.metrics[0].targetValue', message: 'must be greater than 0 (got 0)' },
    { name: 'target zero as a quantity', set: { 'spec.metrics[0].targetValue': '0m' }, path: 'spec.metrics[0].targetValue', message: 'must be greater than 0 (got "0m")' },
    { name: 'target not a quantity', set: { 'spec.metrics[0].targetValue': '5 requests' }, path: 'spec.metrics[0].targetValue', message: 'must be a quantity' },
    { name: 'panic threshold below 110', set: { 'spec.behavior.scaleUp.panicPolicy.panicThresholdPercent': 100 }, path: 'spec.behavior.scaleUp.panicPolicy.panicThresholdPercent', message: 'between 110 and 1000 (got 100)' },
    { name: 'tolerance above 100', set: { 'spec.tolerancePercent': 150 }, path: 'spec.tolerancePercent', message: 'between 0 and 100 (got 150)' },
    { name: 'bad select policy', set: { 'spec.behavior.scaleDown.selectPolicy': 'Max' }, path: 'spec.behavior.scaleDown.selectPolicy', message: 'must be one of "Or", "And"' },
    { name: 'period not a duration', set: { 'spec.behavior.scaleUp.stablePolicy.period': '15' }, path: 'spec.behavior.scaleUp.stablePolicy.period', message: 'must be a duration' },
    { name: 'duplicate metric', set: { 'spec.metrics[1].metricName': 'vllm:num_requests_waiting' }, path: 'spec.metrics[1].metricName', message: 'duplicate metricName' },
    { name: 'panic policy on scale down', set: { 'spec.behavior.scaleDown.panicPolicy': {} }, path: 'spec.behavior.scaleDown.panicPolicy', message: 'is not a known field' },
    { name: 'empty query', set: { 'spec.metrics[0].query': '' }, path: 'spec.metrics[0].query', message: 'must not be empty' },
    { name: 'blank query', set: { 'spec.metrics[0].query': '   ' }, path: 'spec.metrics[0].query', message: 'must be a PromQL expression, not blank' },
    { name: 'query not a string', set: { 'spec.metrics[0].query': 5 }, path: 'spec.metrics[0].query', message: 'must be a string' },
    { name: 'query without metricName', set: { 'spec.metrics[0]': { query: 'sum(up)', targetValue: 1 } }, path: 'spec.metrics[0].metricName', message: 'is required' },
  ]);

  describe('external metric (query)', () => {
    it('accepts a PromQL query next to engine metrics; metricName is only its label', () => {
      const doc = base();
      const metrics = getAt(doc, 'spec.metrics') as Record<string, unknown>[];
      metrics.push({ metricName: 'queue depth (prom)', query: 'sum(rate(http_requests_total{job="api"}[1m]))', targetValue: '500m' });
      const r = expectValid(doc);
      expect(getAt(r, `spec.metrics[${metrics.length - 1}].query`)).to.equal('sum(rate(http_requests_total{job="api"}[1m]))');
    });

    it('leaves query out when not given (every existing policy stays as it was)', () => {
      const r = expectValid(base());
      for (const m of getAt(r, 'spec.metrics') as Record<string, unknown>[]) expect(m).not.to.have.property('query');
    });
  });
});

describe('AutoscalingPolicyBinding schema', () => {
  const base = () => loadExample('autoscalingpolicybinding.yaml');

  it('accepts both examples', () => {
    expectValid(base());
    const r = expectValid(loadExample('autoscalingpolicybinding-optimizer.yaml'));
    expect(getAt(r, 'spec.optimizerConfiguration.params[0].target.targetRef.kind')).to.equal('ModelInfer');
  });

  it('takes targetRef as a full Kubernetes object reference', () => {
    const doc = base();
    const ref = getAt(doc, 'spec.scalingConfiguration.target.targetRef') as Record<string, unknown>;
    Object.assign(ref, { apiVersion: 'workload.matrixinfer.ai/v1alpha1', namespace: 'default', uid: 'u-1', resourceVersion: '7', fieldPath: '' });
    expectValid(doc);
  });

  it('takes any workload with a scale subresource as the target (a Deployment, a StatefulSet)', () => {
    for (const [apiVersion, kind] of [['apps/v1', 'Deployment'], ['apps/v1', 'StatefulSet'], ['example.com/v1beta1', 'Engine']]) {
      const doc = base();
      Object.assign(getAt(doc, 'spec.scalingConfiguration.target.targetRef') as Record<string, unknown>, { apiVersion, kind });
      expectValid(doc);
    }
  });

  runInvalidCases(base, [
    {
      name: 'both configurations',
      set: { 'spec.optimizerConfiguration': { params: [{ target: { targetRef: { name: 'x' } }, cost: 1, maxReplicas: 2 }] } },
      path: 'spec',
      message: 'exactly one of scalingConfiguration and optimizerConfiguration (got both)',
    },
    { name: 'neither configuration', unset: ['spec.scalingConfiguration'], path: 'spec', message: '(got neither)' },
    { name: 'min above max', set: { 'spec.scalingConfiguration.minReplicas': 9 }, path: 'spec.scalingConfiguration.minReplicas', message: 'must not be greater than maxReplicas (9 > 4)' },
    { name: 'missing policyRef', unset: ['spec.policyRef'], path: 'spec.policyRef', message: 'is required' },
    { name: 'target kind not a kind', set: { 'spec.scalingConfiguration.target.targetRef.kind': 'deployment' }, path: 'spec.scalingConfiguration.target.targetRef.kind', message: 'must be a Kubernetes kind' },
    { name: 'Deployment without apiVersion', set: { 'spec.scalingConfiguration.target.targetRef.kind': 'Deployment' }, path: 'spec.scalingConfiguration.target.targetRef.apiVersion', message: 'is required for kind Deployment (e.g. apps/v1' },
    { name: 'ModelInfer of another API', set: { 'spec.scalingConfiguration.target.targetRef.apiVersion': 'apps/v1' }, path: 'spec.scalingConfiguration.target.targetRef.apiVersion', message: 'must be workload.matrixinfer.ai/v1alpha1 for a ModelInfer (got "apps/v1")' },
    { name: 'apiVersion malformed', set: { 'spec.scalingConfiguration.target.targetRef.apiVersion': 'apps/1' }, path: 'spec.scalingConfiguration.target.targetRef.apiVersion', message: 'must be an API version' },
    { name: 'metric uri relative', set: { 'spec.scalingConfiguration.target.metricEndpoint.uri': 'metrics' }, path: 'spec.scalingConfiguration.target.metricEndpoint.uri', message: 'starting with "/"' },
    { name: 'policy name with dot', set: { 'spec.policyRef.name': 'a.b' }, path: 'spec.policyRef.name', message: 'DNS-1123' },
    { name: 'target in another namespace', set: { 'spec.scalingConfiguration.target.targetRef.namespace': 'prod' }, path: 'spec.scalingConfiguration.target.targetRef.namespace', message: 'own namespace "default" (got "prod")' },
    { name: 'maxReplicas zero', set: { 'spec.scalingConfiguration.maxReplicas': 0 }, path: 'spec.scalingConfiguration.maxReplicas', message: 'must be at least 1 (got 0)' },
  ]);

  describe('optimizer', () => {
    const opt = () => loadExample('autoscalingpolicybinding-optimizer.yaml');
    runInvalidCases(opt, [
      { name: 'param min above max', set: { 'spec.optimizerConfiguration.params[1].minReplicas': 3 }, path: 'spec.optimizerConfiguration.params[1].minReplicas', message: '(3 > 2)' },
      { name: 'duplicate target', set: { 'spec.optimizerConfiguration.params[1].target.targetRef.name': 'llama-a10' }, path: 'spec.optimizerConfiguration.params[1].target.targetRef.name', message: 'duplicate target "llama-a10"' },
      { name: 'expansion rate below 100', set: { 'spec.optimizerConfiguration.costExpansionRatePercent': 50 }, path: 'spec.optimizerConfiguration.costExpansionRatePercent', message: 'between 100 and 1000 (got 50)' },
      { name: 'no params', set: { 'spec.optimizerConfiguration.params': [] }, path: 'spec.optimizerConfiguration.params', message: 'at least 1 item' },
      { name: 'cost negative', set: { 'spec.optimizerConfiguration.params[0].cost': -1 }, path: 'spec.optimizerConfiguration.params[0].cost', message: 'at least 0 (got -1)' },
    ]);
  });
});
