// A binding's cost ceiling through one runner step: the count the budget pays for, the load's
// own wish next to it, and the split re-bought cheapest first.
import { expect } from 'chai';
import type { EngineSample, StoredResource } from '@matrixinfer/events';
import { bindingStatus } from './autoscaler.js';
import { addSample, createSampleBook } from './book.js';
import { rebuildState, stepUnit, type StepResult } from './step.js';
import { buildTopology } from './topology.js';

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
const sample = (target: string, timeMs: number, waiting: number): EngineSample => ({ endpoint: 'e1', address: 'http://127.0.0.1:1', modelServer: target, target, engine: 'vLLM', timeMs, running: 0, waiting, kvUsage: 0 });
const policy = res('AutoscalingPolicy', 'p', { metrics: [{ metricName: 'waiting', targetValue: 10 }] });
const backendLabels = { 'registry.matrixinfer.ai/model': 'llama', 'registry.matrixinfer.ai/backend': 'b0' };

// One step at 60 s after a minute of `waiting` load on `loaded`.
function stepWith(resources: StoredResource[], loaded: string, waiting: number, current: number): StepResult {
  const topology = buildTopology([policy, ...resources]);
  const book = createSampleBook();
  for (let t = 0; t <= 60_000; t += 1000) addSample(book, { source: 'engine', namespace: 'default', sample: sample(loaded, t, waiting) });
  const unit = topology.units[0];
  if (!unit.ok) throw new Error(unit.error);
  const ctx = { topology, book, staleMs: 5000 };
  return stepUnit(unit, ctx, rebuildState(unit, ctx, current, 60_000, 2000), 60_000);
}

describe('autoscaler runner: budget', () => {
  const single = (maxCostPerHour: number) => [
    res('Model', 'llama', { backends: [{ name: 'b0', scalingCost: 10 }] }),
    res('ModelInfer', 'llama-b0', { replicas: 3, template: { roles: [] } }, backendLabels),
    res('AutoscalingPolicyBinding', 'llama-b0', { policyRef: { name: 'p' }, scalingConfiguration: { target: { targetRef: { name: 'llama-b0' } }, minReplicas: 1, maxReplicas: 8 }, budget: { maxCostPerHour } }),
  ];

  it('a budget that pays for 3 replicas under load that wants 5: 3 replicas, the wish and the cost in the decision, a condition', () => {
    const r = stepWith(single(30), 'llama-b0', 50, 3);
    expect(r.data).to.include({ valid: true, currentReplicas: 3, desiredReplicas: 3 });
    expect(r.writes).to.deep.equal([]);
    expect(r.data.budget).to.deep.equal({ maxCostPerHour: 30, costPerHour: 30, wantedReplicas: 5, affordableReplicas: 3, limited: true });
    expect(r.data.reason).to.match(/; budget: the load asks for 5 replicas, 30\/h pays for 3 \(now 30\/h\)$/);
    const st = bindingStatus(r.data, '2026-01-01T00:01:00Z', undefined) as { conditions: { type: string; status: string; reason: string; message: string }[] };
    expect(st.conditions.find((c) => c.type === 'BudgetLimited')).to.include({ status: 'True', reason: 'OverBudget' });
  });

  it('within the budget the load decides and the condition says so', () => {
    const r = stepWith(single(100), 'llama-b0', 50, 3);
    expect(r.data).to.include({ valid: true, desiredReplicas: 5 });
    expect(r.data.budget).to.include({ limited: false, costPerHour: 50, wantedReplicas: 5 });
    const st = bindingStatus(r.data, 't', undefined) as { conditions: { type: string; status: string }[] };
    expect(st.conditions.find((c) => c.type === 'BudgetLimited')).to.include({ status: 'False' });
  });

  it('optimizer: the cost split is re-bought cheapest first when what runs would break the ceiling', () => {
    const r = stepWith(
      [
        res('ModelInfer', 'cheap', { replicas: 1, template: { roles: [] } }),
        res('ModelInfer', 'dear', { replicas: 3, template: { roles: [] } }),
        res('AutoscalingPolicyBinding', 'opt', {
          policyRef: { name: 'p' },
          budget: { maxCostPerHour: 100 },
          optimizerConfiguration: {
            params: [
              { target: { targetRef: { name: 'cheap' } }, cost: 10, minReplicas: 1, maxReplicas: 2 },
              { target: { targetRef: { name: 'dear' } }, cost: 40, maxReplicas: 4 },
            ],
          },
        }),
      ],
      'cheap',
      80,
      4,
    );
    // The load wants 8 (6 within the targets' maxReplicas); 100/h pays for 2 cheap + 2 dear = 4; what runs (1 cheap + 3 dear = 130/h) is re-bought.
    expect(r.data.replicas).to.deep.equal({ cheap: { current: 1, desired: 2 }, dear: { current: 3, desired: 2 } });
    expect(r.data.budget).to.include({ limited: true, wantedReplicas: 6, affordableReplicas: 4, costPerHour: 100 });
    expect(r.data.reason).to.match(/re-bought cheapest first to stay within the budget/);
  });

  it('a budget below the cost of the minimums is an invalid binding naming the field', () => {
    const u = buildTopology([policy, ...single(5)]).units[0];
    expect(!u.ok && u.error).to.match(/spec\.budget\.maxCostPerHour.*below the cost of the minReplicas \(10 per hour\)/);
  });

  it('a budget that pays for no replica (minReplicas 0) is an invalid binding', () => {
    const resources = single(5).map((r) => (r.kind === 'AutoscalingPolicyBinding' ? { ...r, spec: { ...(r.spec as object), scalingConfiguration: { target: { targetRef: { name: 'llama-b0' } }, minReplicas: 0, maxReplicas: 8 } } } : r));
    const u = buildTopology([policy, ...(resources as StoredResource[])]).units[0];
    expect(!u.ok && u.error).to.match(/pays for no replica \(the cheapest costs 10 per hour\)/);
  });

  it('a budget on targets that cost nothing is an invalid binding naming where the cost comes from', () => {
    const topology = buildTopology([
      policy,
      res('ModelInfer', 'free', { replicas: 1, template: { roles: [] } }),
      res('AutoscalingPolicyBinding', 'free', { policyRef: { name: 'p' }, scalingConfiguration: { target: { targetRef: { name: 'free' } }, maxReplicas: 3 }, budget: { maxCostPerHour: 5 } }),
    ]);
    const u = topology.units[0];
    expect(!u.ok && u.error).to.match(/every target costs 0 \(set the target Model backend's scalingCost\)/);
  });
});
