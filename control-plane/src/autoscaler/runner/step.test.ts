// Pure parts of the runner: sample decoding, per-tick aggregation, topology and one step.
import { expect } from 'chai';
import type { EngineSample, GatewaySample, StoredResource } from '@matrixinfer/events';
import { addSample, aggregateAt, createSampleBook, pruneBook } from './book.js';
import { decodeSample } from './decode.js';
import { rebuildState, stepUnit } from './step.js';
import { buildTopology } from './topology.js';
import { emptyScalerState } from '../types.js';

const engine = (endpoint: string, target: string, timeMs: number, waiting: number, extra: Partial<EngineSample> = {}): EngineSample => ({
  endpoint,
  address: 'http://127.0.0.1:1',
  modelServer: target,
  target,
  engine: 'vLLM',
  timeMs,
  running: 1,
  waiting,
  kvUsage: 0.5,
  ...extra,
});
const gateway = (gw: string, model: string, timeMs: number, inFlight: number, held = 0): GatewaySample => ({
  gateway: gw,
  model,
  timeMs,
  inFlight,
  requestsPerSecond: 2,
  inputTokensPerSecond: 10,
  outputTokensPerSecond: 5,
  held,
});

let seq = 0;
function res(kind: string, name: string, spec: unknown, labels?: Record<string, string>): StoredResource {
  seq++;
  return {
    apiVersion: 'x/v1',
    kind,
    metadata: { name, namespace: 'default', uid: `u${seq}`, resourceVersion: String(seq), generation: 1, creationTimestamp: '2026-01-01T00:00:00Z', ...(labels ? { labels } : {}) },
    spec,
  } as StoredResource;
}
const mi = (name: string, replicas: number, labels?: Record<string, string>) => res('ModelInfer', name, { replicas, template: { roles: [] } }, labels);
const policyRes = res('AutoscalingPolicy', 'p', { metrics: [{ metricName: 'waiting', targetValue: 10 }] });

describe('autoscaler runner: decoding samples', () => {
  const s = engine('ep1', 'mi1', 1000, 3);
  const cases: { name: string; subject: string; data: string; source: string | null }[] = [
    { name: 'bare engine sample', subject: 'mi.metrics.engine.ns1.ep1', data: JSON.stringify(s), source: 'engine' },
    { name: 'enveloped engine sample', subject: 'mi.metrics.engine.ns1.ep1', data: JSON.stringify({ id: 'x', type: 'metrics.engine', time: 't', source: 'c', subject: 's', data: s }), source: 'engine' },
    { name: 'bare gateway sample', subject: 'mi.metrics.gateway.ns1.m', data: JSON.stringify(gateway('g', 'm', 1, 0)), source: 'gateway' },
    { name: 'not JSON', subject: 'mi.metrics.engine.ns1.ep1', data: '{', source: null },
    { name: 'engine sample without target', subject: 'mi.metrics.engine.ns1.ep1', data: JSON.stringify({ ...s, target: undefined }), source: null },
    { name: 'unknown source', subject: 'mi.metrics.other.ns1.x', data: JSON.stringify(s), source: null },
    { name: 'not a metrics subject', subject: 'mi.desired.model.ns1.x', data: JSON.stringify(s), source: null },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const d = decodeSample(tc.subject, tc.data);
      expect(d?.source ?? null).to.equal(tc.source);
      if (d) expect(d.namespace).to.equal('ns1');
    });
  }
});

describe('autoscaler runner: aggregation per tick', () => {
  it('sums the newest fresh sample of each endpoint, weights gateway load by share, counts held demand', () => {
    const book = createSampleBook();
    const add = (sample: EngineSample | GatewaySample, source: 'engine' | 'gateway') => addSample(book, { source, namespace: 'default', sample } as Parameters<typeof addSample>[1]);
    add(engine('a', 'mi1', 1000, 4, { ttft: { sumSeconds: 2, count: 4 } }), 'engine');
    add(engine('a', 'mi1', 1900, 6), 'engine');
    add(engine('a', 'mi1', 2500, 99), 'engine'); // after the tick: not counted
    add(engine('b', 'mi1', 1500, 10, { ttft: { sumSeconds: 1, count: 1 } }), 'engine');
    add(engine('c', 'mi1', 100, 50), 'engine'); // stale
    add(gateway('g1', 'm', 1800, 8, 3), 'gateway');
    add(gateway('g2', 'm', 1700, 4), 'gateway');
    const s = aggregateAt(book, 'default', 'mi1', [{ model: 'm', share: 0.5 }], 2000, 1000);
    expect(s).to.deep.equal({
      timeMs: 2000,
      values: { waiting: 16, running: 2, kvUsage: 1, ttftSeconds: 1, inFlight: 6, requestsPerSecond: 2, inputTokensPerSecond: 10, outputTokensPerSecond: 5, tokensPerSecond: 15 },
      demand: 3,
    });
    expect(aggregateAt(book, 'default', 'other', [], 2000, 1000)).to.equal(null);
    // Routed but no recent gateway sample: idle gateways stop reporting, so the load is zero.
    expect(aggregateAt(book, 'default', 'other', [{ model: 'm', share: 1 }], 9000, 1000)).to.deep.equal({
      timeMs: 9000,
      values: { inFlight: 0, requestsPerSecond: 0, inputTokensPerSecond: 0, outputTokensPerSecond: 0, tokensPerSecond: 0 },
    });
    pruneBook(book, 1600);
    expect([...book.engine.get('default/mi1')!.keys()]).to.deep.equal(['a']);
  });
});

describe('autoscaler runner: topology and step', () => {
  it('maps a model name to its ModelInfers through route and server, and reports bad bindings', () => {
    const t = buildTopology([
      policyRes,
      mi('mi-a', 1),
      mi('mi-b', 1),
      res('ModelServer', 'srv-a', { workloadSelector: { matchLabels: { 'modelinfer.matrixinfer.ai/name': 'mi-a' } } }),
      res('ModelServer', 'srv-b', { workloadSelector: { matchLabels: { 'modelinfer.matrixinfer.ai/name': 'mi-b' } } }),
      res('ModelRoute', 'r', { modelName: 'llama', loraAdapters: ['sql'], rules: [{ name: 'd', targetModels: [{ modelServerName: 'srv-a', weight: 75 }, { modelServerName: 'srv-b', weight: 25 }] }] }),
      res('AutoscalingPolicyBinding', 'b1', { policyRef: { name: 'p' }, scalingConfiguration: { target: { targetRef: { name: 'mi-a' } }, maxReplicas: 3 } }),
      res('AutoscalingPolicyBinding', 'b2', { policyRef: { name: 'p' }, scalingConfiguration: { target: { targetRef: { name: 'mi-a' } }, maxReplicas: 3 } }),
      res('AutoscalingPolicyBinding', 'b3', { policyRef: { name: 'missing' }, scalingConfiguration: { target: { targetRef: { name: 'mi-b' } }, maxReplicas: 3 } }),
      // Regression: an invalid binding of an already scaled target must not publish under that target's name.
      res('AutoscalingPolicyBinding', 'b4', { policyRef: { name: 'missing' }, scalingConfiguration: { target: { targetRef: { name: 'mi-a' } }, maxReplicas: 3 } }),
      res('AutoscalingPolicyBinding', 'mi-a', { policyRef: { name: 'p' }, scalingConfiguration: { target: { targetRef: { name: 'mi-a' } }, maxReplicas: 3 } }),
    ]);
    expect(t.models.get('default/mi-a')).to.deep.equal([
      { model: 'llama', share: 0.75 },
      { model: 'sql', share: 0.75 },
    ]);
    expect(t.units.map((u) => (u.ok ? `ok ${u.name}` : `bad ${u.binding} as ${u.name}: ${u.error}`))).to.deep.equal([
      'ok mi-a',
      'bad b2 as b2: ModelInfer mi-a is already scaled by AutoscalingPolicyBinding b1',
      'bad b3 as mi-b: AutoscalingPolicy missing not found in namespace default',
    ]);
    expect(t.shadowed.map((u) => u.binding)).to.deep.equal(['b4', 'mi-a']);
  });

  it('takes scaleToZeroGracePeriod from the Model backend of the target', () => {
    const t = buildTopology([
      policyRes,
      res('Model', 'llama', { backends: [{ name: 'b0', scaleToZeroGracePeriod: '5s' }] }),
      mi('llama-b0', 1, { 'registry.matrixinfer.ai/model': 'llama', 'registry.matrixinfer.ai/backend': 'b0' }),
      res('AutoscalingPolicyBinding', 'llama-b0', { policyRef: { name: 'p' }, scalingConfiguration: { target: { targetRef: { name: 'llama-b0' } }, minReplicas: 0, maxReplicas: 3 } }),
    ]);
    const u = t.units[0];
    expect(u.ok && u.plan.bounds.scaleToZeroGraceMs).to.equal(5000);
  });

  it('optimizer binding: decides on the summed load and splits by cost, explaining the split', () => {
    const topology = buildTopology([
      policyRes,
      mi('cheap', 1),
      mi('dear', 0),
      res('AutoscalingPolicyBinding', 'opt', {
        policyRef: { name: 'p' },
        optimizerConfiguration: {
          params: [
            { target: { targetRef: { name: 'cheap' } }, cost: 10, minReplicas: 1, maxReplicas: 2 },
            { target: { targetRef: { name: 'dear' } }, cost: 40, maxReplicas: 4 },
          ],
        },
      }),
    ]);
    const book = createSampleBook();
    for (let t = 0; t <= 60_000; t += 1000) addSample(book, { source: 'engine', namespace: 'default', sample: engine('e1', 'cheap', t, 40) });
    const unit = topology.units[0];
    expect(unit.ok && unit.name).to.equal('opt');
    const ctx = { topology, book, staleMs: 5000 };
    const state = unit.ok ? rebuildState(unit, ctx, 1, 60_000, 2000) : emptyScalerState();
    const r = stepUnit(unit, ctx, state, 60_000);
    expect(r.data).to.include({ valid: true, currentReplicas: 1, desiredReplicas: 4 });
    expect(r.data.replicas).to.deep.equal({ cheap: { current: 1, desired: 2 }, dear: { current: 0, desired: 2 } });
    expect(r.writes).to.deep.equal([
      { namespace: 'default', target: 'cheap', from: 1, to: 2 },
      { namespace: 'default', target: 'dear', from: 0, to: 2 },
    ]);
    expect(r.data.reason).to.match(/; split: 4 replicas by cost: cheap=2, dear=2/);
  });

  it('a missing target ModelInfer is a decision that cannot be made, in words', () => {
    const topology = buildTopology([policyRes, res('AutoscalingPolicyBinding', 'b', { policyRef: { name: 'p' }, scalingConfiguration: { target: { targetRef: { name: 'ghost' } }, maxReplicas: 3 } })]);
    const r = stepUnit(topology.units[0], { topology, book: createSampleBook(), staleMs: 1000 }, emptyScalerState(), 0);
    expect(r.data).to.include({ valid: false, invalidReason: 'target-missing', reason: 'ModelInfer ghost not found in namespace default' });
    expect(r.writes).to.deep.equal([]);
  });

  describe('any metric', () => {
    const anyPolicy = (metrics: { metricName: string; targetValue: number }[]) => res('AutoscalingPolicy', 'p', { metrics });
    const setup = (metrics: { metricName: string; targetValue: number }[], custom: Record<string, number>) => {
      const topology = buildTopology([
        anyPolicy(metrics),
        mi('mi1', 1),
        res('AutoscalingPolicyBinding', 'b', { policyRef: { name: 'p' }, scalingConfiguration: { target: { targetRef: { name: 'mi1' } }, maxReplicas: 10 } }),
      ]);
      const book = createSampleBook();
      for (let t = 1000; t <= 60_000; t += 1000) {
        for (const ep of ['e1', 'e2']) addSample(book, { source: 'engine', namespace: 'default', sample: engine(ep, 'mi1', t, 0, { custom }) });
      }
      const ctx = { topology, book, staleMs: 5000 };
      const unit = topology.units[0];
      return stepUnit(unit, ctx, unit.ok ? rebuildState(unit, ctx, 1, 60_000, 2000) : emptyScalerState(), 60_000);
    };

    it('scales on an engine family summed over endpoints; the decision holds only the policy\'s families', () => {
      const r = setup([{ metricName: 'vllm:iteration_tokens_total', targetValue: 100 }], { 'vllm:iteration_tokens_total': 150, 'vllm:other': 3 });
      expect(r.data).to.include({ valid: true, desiredReplicas: 3 });
      expect(r.data.inputs['custom:vllm:iteration_tokens_total']).to.include({ target: 100, stableAverage: 300, stableReplicas: 3 });
      expect(r.data.values).to.include({ 'custom:vllm:iteration_tokens_total': 300 });
      expect(r.data.values).not.to.have.property('custom:vllm:other');
      expect(r.data.unknownMetrics).to.equal(undefined);
    });

    it('a family no endpoint exposes is an unknown-metric decision naming it', () => {
      const r = setup([{ metricName: 'vllm:no_such_metric', targetValue: 1 }], { 'vllm:other': 3 });
      expect(r.data).to.include({ valid: false, invalidReason: 'unknown-metric', reason: 'unknown-metric: metric(s) vllm:no_such_metric not exposed by any endpoint of the target' });
      expect(r.data.unknownMetrics).to.deep.equal(['vllm:no_such_metric']);
      expect(r.writes).to.deep.equal([]);
    });

    it('several metrics: the largest wish wins, each metric in the inputs, a missing one named in the reason', () => {
      const r = setup([
        { metricName: 'waiting', targetValue: 10 },
        { metricName: 'gpu_util', targetValue: 0.5 },
        { metricName: 'absent_gauge', targetValue: 1 },
      ], { gpu_util: 1 });
      // waiting 0 asks for 0; gpu_util 2 (summed over 2 endpoints) / 0.5 asks for 4.
      expect(r.data).to.include({ valid: true, desiredReplicas: 4 });
      expect(Object.keys(r.data.inputs).sort()).to.deep.equal(['custom:gpu_util', 'waiting']);
      expect(r.data.inputs['waiting']).to.include({ stableReplicas: 0 });
      expect(r.data.inputs['custom:gpu_util']).to.include({ target: 0.5, stableReplicas: 4 });
      expect(r.data.reason).to.match(/metric\(s\) absent_gauge not exposed by any endpoint of the target$/);
      expect(r.data.unknownMetrics).to.deep.equal(['absent_gauge']);
    });
  });
});
