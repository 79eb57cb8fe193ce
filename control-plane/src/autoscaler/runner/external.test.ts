// External (PromQL) metrics in the runner's pure parts: decoding, the book's per-binding reading
// and one step, including the hold on missing data (an error or a stale sample never scales).
import { expect } from 'chai';
import type { EngineSample, ExternalQueryResult, ExternalSample, GatewaySample, StoredResource } from '@matrixinfer/events';
import { emptyScalerState, type ScalerState } from '../types.js';
import { addSample, createSampleBook, externalAt, type SampleBook } from './book.js';
import { decodeSample } from './decode.js';
import { decisionSignature, rebuildState, stepUnit, type StepContext } from './step.js';
import { buildTopology, type ScaleUnit } from './topology.js';

const Q = 'sum(rate(http_requests_total[1m]))';
let seq = 0;
function res(kind: string, name: string, spec: unknown): StoredResource {
  seq++;
  return {
    apiVersion: 'x/v1',
    kind,
    metadata: { name, namespace: 'default', uid: `u${seq}`, resourceVersion: String(seq), generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec,
  } as StoredResource;
}
const mi = (name: string, replicas: number) => res('ModelInfer', name, { replicas, template: { roles: [] } });
const engine = (endpoint: string, target: string, timeMs: number, waiting: number): EngineSample => ({ endpoint, address: 'http://127.0.0.1:1', modelServer: target, target, engine: 'vLLM', timeMs, running: 0, waiting, kvUsage: 0 });
const ext = (binding: string, timeMs: number, results: ExternalQueryResult[]): ExternalSample => ({ binding, policy: 'p', timeMs, results });
const ok = (value: number, query = Q, metricName = 'rps'): ExternalQueryResult => ({ metricName, query, value });
const err = (code: string, message: string): ExternalQueryResult => ({ metricName: 'rps', query: Q, error: { code, message } });

function addExt(book: SampleBook, s: ExternalSample): void {
  addSample(book, { source: 'external', namespace: 'default', sample: s });
}

function setup(o: { replicas: number; min?: number; metrics?: unknown[]; extra?: StoredResource[] }) {
  const metrics = o.metrics ?? [{ metricName: 'rps', query: Q, targetValue: 10 }];
  const topology = buildTopology([
    res('AutoscalingPolicy', 'p', { metrics, behavior: { scaleDown: { percent: 100, period: '1s' } } }),
    mi('mi1', o.replicas),
    res('AutoscalingPolicyBinding', 'b', { policyRef: { name: 'p' }, scalingConfiguration: { target: { targetRef: { name: 'mi1' } }, minReplicas: o.min ?? 1, maxReplicas: 10 } }),
    ...(o.extra ?? []),
  ]);
  const book = createSampleBook();
  const ctx: StepContext = { topology, book, staleMs: 5000 };
  const unit = topology.units[0] as Extract<ScaleUnit, { ok: true }>;
  expect(unit.ok, JSON.stringify(unit)).to.equal(true);
  return { topology, book, ctx, unit };
}

describe('autoscaler runner: external (PromQL) samples', () => {
  describe('decoding', () => {
    const good = ext('b', 1000, [ok(3), err('MI_ERR_EXTERNAL_UNREACHABLE', 'connection refused')]);
    const cases: { name: string; data: unknown; decoded: boolean }[] = [
      { name: 'bare sample with a value and an error', data: good, decoded: true },
      { name: 'enveloped sample', data: { id: 'x', type: 'metrics.external.sample', time: 't', source: 's', subject: 'mi.metrics.external.ns1.b', data: good }, decoded: true },
      { name: 'a value that is not a number (NaN serializes as null)', data: ext('b', 1, [{ metricName: 'rps', query: Q, value: null } as unknown as ExternalQueryResult]), decoded: false },
      { name: 'an error without a code', data: ext('b', 1, [{ metricName: 'rps', query: Q, error: { message: 'x' } } as unknown as ExternalQueryResult]), decoded: false },
      { name: 'no binding', data: { ...good, binding: '' }, decoded: false },
      { name: 'no results array', data: { ...good, results: undefined }, decoded: false },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        const d = decodeSample('mi.metrics.external.ns1.b', JSON.stringify(tc.data));
        expect(d !== null).to.equal(tc.decoded);
        if (d) expect(d).to.deep.include({ source: 'external', namespace: 'ns1' });
      });
    }
  });

  describe('externalAt', () => {
    const metrics = [{ name: 'query:rps', target: 10, query: Q }, { name: 'waiting', target: 5 }];
    const cases: { name: string; samples: ExternalSample[]; at: number; values: Record<string, number>; problem?: RegExp; code?: string }[] = [
      { name: 'the newest sample not after the tick', samples: [ext('b', 1000, [ok(7)]), ext('b', 2000, [ok(9)]), ext('b', 3000, [ok(99)])], at: 2500, values: { 'query:rps': 9 } },
      { name: 'an error result', samples: [ext('b', 1000, [ok(7)]), ext('b', 2000, [err('MI_ERR_EXTERNAL_QUERY_FAILED', 'bad_data: parse error')])], at: 2000, values: {}, problem: /parse error/, code: 'MI_ERR_EXTERNAL_QUERY_FAILED' },
      { name: 'a stale sample', samples: [ext('b', 1000, [ok(7)])], at: 7000, values: {}, problem: /no result from the external-metrics poller in the last 5000 ms \(the newest is 6000 ms old\)/, code: 'MI_ERR_EXTERNAL_NO_SAMPLE' },
      { name: 'no sample at all', samples: [], at: 7000, values: {}, problem: /none at all/, code: 'MI_ERR_EXTERNAL_NO_SAMPLE' },
      { name: 'a sample of the old query (the policy changed)', samples: [ext('b', 1000, [ok(7, 'sum(old)')])], at: 2000, values: {}, problem: /has not evaluated this query yet/, code: 'MI_ERR_EXTERNAL_NO_SAMPLE' },
      { name: 'another binding\'s sample', samples: [ext('other', 1000, [ok(7)])], at: 2000, values: {}, problem: /none at all/ },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        const book = createSampleBook();
        for (const s of tc.samples) addExt(book, s);
        const r = externalAt(book, 'default', 'b', metrics, tc.at, 5000);
        expect(r.values).to.deep.equal(tc.values);
        if (!tc.problem) return expect(r.problems).to.deep.equal([]);
        expect(r.problems).to.have.length(1);
        expect(r.problems[0]).to.include({ metric: 'query:rps', query: Q });
        expect(r.problems[0].message).to.match(tc.problem);
        if (tc.code) expect(r.problems[0].code).to.equal(tc.code);
      });
    }

    it('a policy without queries reads nothing and has no problem', () => {
      expect(externalAt(createSampleBook(), 'default', 'b', [{ name: 'waiting', target: 5 }], 1000, 5000)).to.deep.equal({ values: {}, problems: [] });
    });
  });

  describe('step', () => {
    const run = (u: ReturnType<typeof setup>, at: number, state: ScalerState = rebuildState(u.unit, u.ctx, u.topology.infers.get('default/mi1')!.spec.replicas ?? 1, at, 2000)) => stepUnit(u.unit, u.ctx, state, at);

    it('scales on the query total like any metric: replicas = ceil(total / target), its inputs and value in the decision', () => {
      const u = setup({ replicas: 1 });
      for (let t = 0; t <= 60_000; t += 2000) addExt(u.book, ext('b', t, [ok(25)]));
      const r = run(u, 60_000);
      expect(r.data).to.include({ valid: true, currentReplicas: 1, desiredReplicas: 3 });
      expect(r.data.inputs['query:rps']).to.include({ target: 10, stableAverage: 25, stableReplicas: 3 });
      expect(r.data.values).to.deep.equal({ 'query:rps': 25 });
      expect(r.data.reason).to.match(/query:rps 25 vs target 10\/replica/);
      expect(r.writes).to.deep.equal([{ namespace: 'default', target: 'mi1', from: 1, to: 3 }]);
      expect(r.data.externalProblems).to.equal(undefined);
    });

    it('next to an engine metric: each contributes to the inputs, the largest wish wins', () => {
      const u = setup({ replicas: 2, metrics: [{ metricName: 'waiting', targetValue: 5 }, { metricName: 'rps', query: Q, targetValue: 10 }] });
      for (let t = 0; t <= 60_000; t += 2000) {
        addExt(u.book, ext('b', t, [ok(15)]));
        addSample(u.book, { source: 'engine', namespace: 'default', sample: engine('e1', 'mi1', t, 12) });
        addSample(u.book, { source: 'engine', namespace: 'default', sample: engine('e2', 'mi1', t, 13) });
      }
      const r = run(u, 60_000);
      // waiting 25 (summed over endpoints) / 5 asks for 5; the query's 15 / 10 for 2.
      expect(r.data).to.include({ valid: true, desiredReplicas: 5 });
      expect(r.data.inputs['waiting']).to.include({ stableAverage: 25, stableReplicas: 5 });
      expect(r.data.inputs['query:rps']).to.include({ stableAverage: 15, stableReplicas: 2 });
    });

    it('optimizer binding: the query total is the binding\'s, counted once (not per member)', () => {
      const u0 = setup({ replicas: 1 });
      const topology = buildTopology([
        res('AutoscalingPolicy', 'p', { metrics: [{ metricName: 'rps', query: Q, targetValue: 10 }] }),
        mi('cheap', 1),
        mi('dear', 1),
        res('AutoscalingPolicyBinding', 'opt', { policyRef: { name: 'p' }, optimizerConfiguration: { params: [{ target: { targetRef: { name: 'cheap' } }, cost: 1, maxReplicas: 4 }, { target: { targetRef: { name: 'dear' } }, cost: 5, maxReplicas: 4 }] } }),
      ]);
      const ctx: StepContext = { topology, book: u0.book, staleMs: 5000 };
      for (let t = 0; t <= 60_000; t += 2000) addExt(u0.book, ext('opt', t, [ok(40)]));
      const unit = topology.units[0] as Extract<ScaleUnit, { ok: true }>;
      const r = stepUnit(unit, ctx, rebuildState(unit, ctx, 2, 60_000, 2000), 60_000);
      expect(r.data).to.include({ valid: true, currentReplicas: 2, desiredReplicas: 4 });
      expect(r.data.values).to.deep.equal({ 'query:rps': 40 });
    });

    const holdCases: { name: string; latest: (t: number) => ExternalSample | null; why: RegExp }[] = [
      { name: 'an error result (Prometheus down)', latest: (t) => ext('b', t, [err('MI_ERR_EXTERNAL_UNREACHABLE', 'cannot reach Prometheus at http://127.0.0.1:9: connect ECONNREFUSED')]), why: /query:rps \(sum\(rate\(http_requests_total\[1m\]\)\)\) unavailable: cannot reach Prometheus at http:\/\/127\.0\.0\.1:9: connect ECONNREFUSED \[MI_ERR_EXTERNAL_UNREACHABLE\]/ },
      { name: 'no Prometheus URL configured', latest: (t) => ext('b', t, [err('MI_ERR_EXTERNAL_NOT_CONFIGURED', 'the Prometheus URL is not configured (--prometheus-url / MI_PROMETHEUS_URL)')]), why: /the Prometheus URL is not configured/ },
      { name: 'a stale sample (poller gone)', latest: () => null, why: /no result from the external-metrics poller in the last 5000 ms/ },
    ];
    for (const tc of holdCases) {
      it(`holds on ${tc.name}: invalid external-metric-unavailable, nothing applied, state kept; never to zero`, () => {
        // minReplicas 0 and an idle engine: without the query the stable wish would be zero.
        const u = setup({ replicas: 3, min: 0, metrics: [{ metricName: 'waiting', targetValue: 5 }, { metricName: 'rps', query: Q, targetValue: 10 }] });
        for (let t = 0; t <= 120_000; t += 2000) addSample(u.book, { source: 'engine', namespace: 'default', sample: engine('e1', 'mi1', t, 0) });
        for (let t = 0; t < 60_000; t += 2000) addExt(u.book, ext('b', t, [ok(30)]));
        for (let t = 60_000; t <= 120_000; t += 2000) {
          const s = tc.latest(t);
          if (s) addExt(u.book, s);
        }
        const state = rebuildState(u.unit, u.ctx, 3, 60_000, 2000);
        for (let t = 70_000; t <= 120_000; t += 10_000) {
          const r = stepUnit(u.unit, u.ctx, state, t);
          expect(r.data).to.include({ valid: false, invalidReason: 'external-metric-unavailable', currentReplicas: 3, desiredReplicas: 3 });
          expect(r.data.reason).to.match(/^external-metric-unavailable: holding 3 replicas; /);
          expect(r.data.reason).to.match(tc.why);
          expect(r.data.externalProblems).to.have.length(1);
          expect(r.data.replicas).to.deep.equal({ mi1: { current: 3, desired: 3 } });
          expect(r.data.values).to.deep.include({ waiting: 0 });
          expect(r.writes).to.deep.equal([]);
          expect(r.nextState).to.equal(state);
        }
      });
    }

    it('a target at zero still wakes on requests held by gateways while the query is unavailable', () => {
      const u = setup({
        replicas: 0,
        min: 0,
        extra: [
          res('ModelServer', 'srv', { workloadSelector: { matchLabels: { 'modelinfer.matrixinfer.ai/name': 'mi1' } } }),
          res('ModelRoute', 'r', { modelName: 'm', rules: [{ name: 'd', targetModels: [{ modelServerName: 'srv' }] }] }),
        ],
      });
      const held: GatewaySample = { gateway: 'g', model: 'm', timeMs: 10_000, inFlight: 0, requestsPerSecond: 0, inputTokensPerSecond: 0, outputTokensPerSecond: 0, held: 4 };
      addSample(u.book, { source: 'gateway', namespace: 'default', sample: held });
      addExt(u.book, ext('b', 10_000, [err('MI_ERR_EXTERNAL_UNREACHABLE', 'down')]));
      const r = stepUnit(u.unit, u.ctx, emptyScalerState(), 10_000);
      expect(r.data).to.include({ valid: true, currentReplicas: 0, desiredReplicas: 1 });
      expect(r.data.reason).to.match(/^scale from zero: 4 request\(s\) held by gateways.*; query:rps .* unavailable: down/);
      expect(r.writes).to.have.length(1);
    });

    it('a hold whose cause changes has another signature (published at once, not at the next heartbeat)', () => {
      const u = setup({ replicas: 2 });
      const stale = stepUnit(u.unit, u.ctx, emptyScalerState(), 10_000).data;
      addExt(u.book, ext('b', 12_000, [err('MI_ERR_EXTERNAL_NOT_CONFIGURED', 'no URL')]));
      const notConfigured = stepUnit(u.unit, u.ctx, emptyScalerState(), 12_000).data;
      expect(stale.externalProblems?.[0].code).to.equal('MI_ERR_EXTERNAL_NO_SAMPLE');
      expect(decisionSignature(notConfigured)).not.to.equal(decisionSignature(stale));
      expect(decisionSignature(stepUnit(u.unit, u.ctx, emptyScalerState(), 14_000).data)).to.equal(decisionSignature(notConfigured));
    });

    it('rebuilding after a restart skips the ticks that held, as the live loop did', () => {
      const u = setup({ replicas: 1 });
      for (let t = 0; t < 30_000; t += 2000) addExt(u.book, ext('b', t, [ok(25)]));
      for (let t = 30_000; t <= 60_000; t += 2000) addExt(u.book, ext('b', t, [err('MI_ERR_EXTERNAL_UNREACHABLE', 'down')]));
      const state = rebuildState(u.unit, u.ctx, 1, 60_000, 2000);
      expect(state.samples.length).to.be.greaterThan(0);
      expect(Math.max(...state.samples.map((s) => s.timeMs))).to.be.below(30_000);
      expect(Math.max(...state.recommendations.map((s) => s.timeMs))).to.be.below(30_000);
    });
  });
});
