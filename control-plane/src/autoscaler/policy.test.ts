import { expect } from 'chai';
import type { AutoscalingPolicy, AutoscalingPolicyBinding } from '@matrixinfer/schemas';
import { InvalidScalingPolicyError } from './errors.js';
import { ANNOTATIONS, POLICY_DEFAULTS, toBindingPlan, toScalingPolicy, validateScalingPolicy } from './policy.js';
import { resolveMetric, supportedMetricNames } from './metrics.js';

function policy(spec: Partial<AutoscalingPolicy['spec']> = {}, annotations?: Record<string, string>): AutoscalingPolicy {
  return {
    apiVersion: 'registry.matrixinfer.ai/v1alpha1',
    kind: 'AutoscalingPolicy',
    metadata: { name: 'p', namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: { metrics: [{ metricName: 'vllm:num_requests_waiting', targetValue: 5 }], ...spec },
  };
}

function binding(spec: Partial<AutoscalingPolicyBinding['spec']>, annotations?: Record<string, string>): AutoscalingPolicyBinding {
  return {
    apiVersion: 'registry.matrixinfer.ai/v1alpha1',
    kind: 'AutoscalingPolicyBinding',
    metadata: { name: 'b', namespace: 'ns1', ...(annotations ? { annotations } : {}) },
    spec: { policyRef: { name: 'p' }, ...spec },
  };
}

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidScalingPolicyError);
    expect((err as InvalidScalingPolicyError).code).to.equal('MI_ERR_AUTOSCALER_INVALID_POLICY');
    return [...(err as InvalidScalingPolicyError).issues];
  }
  throw new Error('expected InvalidScalingPolicyError');
}

describe('autoscaler policy translation', () => {
  it('fills Knative/HPA-like defaults', () => {
    const p = toScalingPolicy(policy());
    expect(p).to.deep.equal({
      metrics: [{ name: 'waiting', target: 5 }],
      tolerancePercent: 10,
      stableWindowMs: 60_000,
      scaleUp: { periodMs: 15_000, selectPolicy: 'Max', stabilizationWindowMs: 0, instances: 4, percent: 100 },
      scaleDown: { periodMs: 15_000, selectPolicy: 'Max', stabilizationWindowMs: 60_000, percent: 50 },
      panic: { percent: 1000, windowMs: 6_000, thresholdPercent: 200, holdMs: 60_000, periodMs: 0 },
    });
  });

  it('reads every behaviour field and the window annotations', () => {
    const p = toScalingPolicy(
      policy(
        {
          tolerancePercent: 5,
          behavior: {
            scaleUp: { stablePolicy: { instances: 2, period: '30s', selectPolicy: 'And', stabilizationWindow: '10s' }, panicPolicy: { percent: 300, panicThresholdPercent: 150, panicModeHold: '2m', period: '5s' } },
            scaleDown: { instances: 1, percent: 20, period: '1m', stabilizationWindow: '5m' },
          },
        },
        { [ANNOTATIONS.stableWindow]: '4s', [ANNOTATIONS.panicWindowPercent]: '25' },
      ),
    );
    expect(p.tolerancePercent).to.equal(5);
    expect(p.stableWindowMs).to.equal(4000);
    expect(p.scaleUp).to.deep.equal({ periodMs: 30_000, selectPolicy: 'Min', stabilizationWindowMs: 10_000, instances: 2 });
    expect(p.scaleDown).to.deep.equal({ periodMs: 60_000, selectPolicy: 'Max', stabilizationWindowMs: 300_000, instances: 1, percent: 20 });
    expect(p.panic).to.deep.equal({ percent: 300, windowMs: 1000, thresholdPercent: 150, holdMs: 120_000, periodMs: 5000 });
  });

  const metricCases: { name: string; metricName: string; canonical: string }[] = [
    { name: 'vLLM waiting', metricName: 'vllm:num_requests_waiting', canonical: 'waiting' },
    { name: 'plain waiting', metricName: 'num_requests_waiting', canonical: 'waiting' },
    { name: 'SGLang queue', metricName: 'sglang:num_queue_reqs', canonical: 'waiting' },
    { name: 'running', metricName: 'num_requests_running', canonical: 'running' },
    { name: 'vLLM KV usage', metricName: 'vllm:gpu_cache_usage_perc', canonical: 'kvUsage' },
    { name: 'KV usage', metricName: 'kv_cache_usage', canonical: 'kvUsage' },
    { name: 'TTFT mean', metricName: 'ttft_mean_seconds', canonical: 'ttftSeconds' },
    { name: 'gateway in flight', metricName: 'gateway_in_flight', canonical: 'inFlight' },
    { name: 'tokens per second', metricName: 'tokens_per_second', canonical: 'tokensPerSecond' },
    { name: 'canonical name, any case', metricName: 'KVUSAGE', canonical: 'kvUsage' },
    { name: 'CPU', metricName: 'cpu', canonical: 'cpu' },
    { name: 'CPU cores', metricName: 'cpu_cores', canonical: 'cpu' },
    { name: 'memory', metricName: 'Memory', canonical: 'memory' },
    { name: 'memory bytes', metricName: 'memory_bytes', canonical: 'memory' },
  ];
  for (const [input, want] of [[10, 10], ['5', 5], ['500m', 0.5]] as const) {
    it(`reads targetValue ${JSON.stringify(input)} as the quantity ${want}`, () => {
      expect(toScalingPolicy(policy({ metrics: [{ metricName: 'vllm:num_requests_waiting', targetValue: input }] })).metrics[0].target).to.equal(want);
    });
  }

  for (const tc of metricCases) {
    it(`maps metric ${tc.name}`, () => {
      expect(toScalingPolicy(policy({ metrics: [{ metricName: tc.metricName, targetValue: 1 }] })).metrics).to.deep.equal([{ name: tc.canonical, target: 1 }]);
    });
  }

  const errorCases: { name: string; p: AutoscalingPolicy; path: string; message: RegExp }[] = [
    { name: 'not a metric name', p: policy({ metrics: [{ metricName: 'gpu temperature', targetValue: 1 }] }), path: 'spec.metrics[0].metricName', message: /"gpu temperature" is not a Prometheus metric name nor one of: .*num_requests_waiting/ },
    { name: 'unknown histogram reading', p: policy({ metrics: [{ metricName: 'vllm:e2e_request_latency_seconds@p42', targetValue: 1 }] }), path: 'spec.metrics[0].metricName', message: /@count, @mean, @p50, @p90, @p95, @p99/ },
    {
      name: 'two names of one metric',
      p: policy({ metrics: [{ metricName: 'waiting', targetValue: 1 }, { metricName: 'vllm:num_requests_waiting', targetValue: 2 }] }),
      path: 'spec.metrics[1].metricName',
      message: /same metric \(waiting\)/,
    },
    { name: 'bad stable window', p: policy({}, { [ANNOTATIONS.stableWindow]: 'soon' }), path: `metadata.annotations["${ANNOTATIONS.stableWindow}"]`, message: /not a duration/ },
    { name: 'bad panic window percent', p: policy({}, { [ANNOTATIONS.panicWindowPercent]: '0' }), path: `metadata.annotations["${ANNOTATIONS.panicWindowPercent}"]`, message: /from 1 to 100/ },
    { name: 'bad period', p: policy({ behavior: { scaleDown: { period: '10 seconds' } } }), path: 'spec.behavior.scaleDown.period', message: /not a duration/ },
    { name: 'frozen rate', p: policy({ behavior: { scaleDown: { instances: 0, percent: 0 } } }), path: 'spec.behavior.scaleDown', message: /could never change/ },
    { name: 'panic threshold 100', p: policy({ behavior: { scaleUp: { panicPolicy: { panicThresholdPercent: 100 } } } }), path: 'spec.behavior.scaleUp.panicPolicy.panicThresholdPercent', message: /above 100/ },
    { name: 'blank query', p: policy({ metrics: [{ metricName: 'q', query: '  ', targetValue: 1 }] }), path: 'spec.metrics[0].query', message: /PromQL expression, not blank/ },
    {
      name: 'two queries with one label',
      p: policy({ metrics: [{ metricName: 'depth', query: 'sum(a)', targetValue: 1 }, { metricName: 'depth', query: 'sum(b)', targetValue: 1 }] }),
      path: 'spec.metrics[1].metricName',
      message: /same metric \(query:depth\)/,
    },
  ];
  for (const tc of errorCases) {
    it(`rejects ${tc.name} with its path`, () => {
      const issues = issuesOf(() => toScalingPolicy(tc.p));
      expect(issues.map((i) => i.path)).to.include(tc.path);
      expect(issues.find((i) => i.path === tc.path)!.message).to.match(tc.message);
      expect(validateScalingPolicy(tc.p)).to.deep.equal(issues);
    });
  }

  it('lists supported names without lower-cased duplicates of canonical ones', () => {
    const names = supportedMetricNames();
    expect(names).to.include.members(['waiting', 'kvUsage', 'vllm:num_requests_waiting']);
    expect(names).not.to.include('kvusage');
    expect(resolveMetric(' Waiting ')).to.deep.include({ metric: { name: 'waiting', source: 'engine', meaning: 'requests queued in the engine, per replica' } });
  });

  it('any other Prometheus name is read from the engine as is (case kept), histograms with a reading', () => {
    const names = (metricName: string) => toScalingPolicy(policy({ metrics: [{ metricName, targetValue: 1 }] })).metrics.map((m) => m.name);
    expect(names('vllm:iteration_tokens_total')).to.deep.equal(['custom:vllm:iteration_tokens_total']);
    expect(names('DCGM_FI_DEV_GPU_UTIL')).to.deep.equal(['custom:DCGM_FI_DEV_GPU_UTIL']);
    expect(names('vllm:e2e_request_latency_seconds@p90')).to.deep.equal(['custom:vllm:e2e_request_latency_seconds@p90']);
    // Known engine names still map to the normalized fields (vLLM and SGLang alike).
    expect(names('vllm:num_requests_waiting')).to.deep.equal(['waiting']);
  });

  it('a metric with a query is external: keyed query:<metricName> (any label, even a canonical name), the query kept', () => {
    const p = toScalingPolicy(policy({ metrics: [{ metricName: 'waiting', targetValue: 5 }, { metricName: 'waiting', query: ' sum(rate(x_total[1m])) ', targetValue: '500m' }, { metricName: 'queue depth', query: 'scalar(q)', targetValue: 2 }] }));
    expect(p.metrics).to.deep.equal([
      { name: 'waiting', target: 5 },
      { name: 'query:waiting', target: 0.5, query: 'sum(rate(x_total[1m]))' },
      { name: 'query:queue depth', target: 2, query: 'scalar(q)' },
    ]);
  });
});

describe('autoscaler binding translation', () => {
  const target = (name: string) => ({ targetRef: { kind: 'ModelInfer' as const, name } });

  it('single target: minReplicas defaults to 1, grace from the backend, else 30 s', () => {
    const plan = toBindingPlan(binding({ scalingConfiguration: { target: target('m-a'), maxReplicas: 4 } }));
    expect(plan).to.deep.equal({
      namespace: 'ns1',
      binding: 'b',
      policy: 'p',
      mode: 'single',
      targets: [{ target: 'm-a', cost: 0, minReplicas: 1, maxReplicas: 4 }],
      costExpansionRatePercent: 200,
      bounds: { minReplicas: 1, maxReplicas: 4, scaleToZeroGraceMs: POLICY_DEFAULTS.scaleToZeroGraceMs },
    });
    const withGrace = toBindingPlan(binding({ scalingConfiguration: { target: target('m-a'), minReplicas: 0, maxReplicas: 4 } }), (t) => (t === 'm-a' ? 5000 : undefined));
    expect(withGrace.bounds).to.deep.equal({ minReplicas: 0, maxReplicas: 4, scaleToZeroGraceMs: 5000 });
  });

  it('the binding annotation overrides the backend grace', () => {
    const plan = toBindingPlan(binding({ scalingConfiguration: { target: target('m-a'), minReplicas: 0, maxReplicas: 4 } }, { [ANNOTATIONS.scaleToZeroGracePeriod]: '2s' }), () => 9000);
    expect(plan.bounds.scaleToZeroGraceMs).to.equal(2000);
  });

  it('optimizer: member bounds summed, minReplicas default 0, longest member grace', () => {
    const plan = toBindingPlan(
      binding({ optimizerConfiguration: { params: [{ target: target('m-a'), cost: 10, maxReplicas: 2 }, { target: target('m-b'), cost: 30, minReplicas: 1, maxReplicas: 3 }], costExpansionRatePercent: 150 } }),
      (t) => (t === 'm-a' ? 1000 : 4000),
    );
    expect(plan.mode).to.equal('optimizer');
    expect(plan.targets).to.deep.equal([
      { target: 'm-a', cost: 10, minReplicas: 0, maxReplicas: 2 },
      { target: 'm-b', cost: 30, minReplicas: 1, maxReplicas: 3 },
    ]);
    expect(plan.costExpansionRatePercent).to.equal(150);
    expect(plan.bounds).to.deep.equal({ minReplicas: 1, maxReplicas: 5, scaleToZeroGraceMs: 4000 });
  });

  const errorCases: { name: string; b: AutoscalingPolicyBinding; path: string }[] = [
    { name: 'neither configuration', b: binding({}), path: 'spec' },
    { name: 'min above max', b: binding({ scalingConfiguration: { target: target('x'), minReplicas: 5, maxReplicas: 2 } }), path: 'spec.scalingConfiguration.minReplicas' },
    {
      name: 'duplicate optimizer target',
      b: binding({ optimizerConfiguration: { params: [{ target: target('x'), cost: 1, maxReplicas: 1 }, { target: target('x'), cost: 2, maxReplicas: 1 }] } }),
      path: 'spec.optimizerConfiguration.params',
    },
    { name: 'grace above 1800 s', b: binding({ scalingConfiguration: { target: target('x'), maxReplicas: 2 } }, { [ANNOTATIONS.scaleToZeroGracePeriod]: '31m' }), path: `metadata.annotations["${ANNOTATIONS.scaleToZeroGracePeriod}"]` },
  ];
  for (const tc of errorCases) {
    it(`rejects ${tc.name}`, () => {
      expect(issuesOf(() => toBindingPlan(tc.b)).map((i) => i.path)).to.include(tc.path);
    });
  }
});
