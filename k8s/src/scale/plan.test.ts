import { expect } from 'chai';
import type { AutoscalerDecisionData } from '@matrixinfer/control-plane';
import { replicaApplies, replicasApplyBody } from './plan.js';

function decision(over: Partial<AutoscalerDecisionData> = {}): AutoscalerDecisionData {
  return {
    namespace: 'ns', name: 'llama-a', binding: 'llama-a', tickStartMs: 1000, valid: true, currentReplicas: 1, desiredReplicas: 3,
    reason: 'stable: 30 waiting vs target 10/replica', inputs: {}, values: {}, demand: 0,
    replicas: { 'llama-a': { current: 1, desired: 3 } }, ...over,
  };
}

describe('scale applier: replicaApplies', () => {
  const cases: { name: string; data: AutoscalerDecisionData; ageMs?: number; want: [string, number][] }[] = [
    { name: 'scale up one ModelInfer', data: decision(), want: [['llama-a', 3]] },
    { name: 'no change', data: decision({ replicas: { 'llama-a': { current: 2, desired: 2 } } }), want: [] },
    { name: 'invalid decision', data: decision({ valid: false }), want: [] },
    { name: 'too old', data: decision(), ageMs: 61_000, want: [] },
    { name: 'optimizer: several targets, sorted, unchanged skipped', data: decision({ replicas: { b: { current: 0, desired: 2 }, a: { current: 4, desired: 1 }, c: { current: 1, desired: 1 } } }), want: [['a', 1], ['b', 2]] },
    { name: 'scale to zero', data: decision({ replicas: { x: { current: 1, desired: 0 } } }), want: [['x', 0]] },
    { name: 'malformed count', data: decision({ replicas: { x: { current: 1, desired: 1.5 } } }), want: [] },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const out = replicaApplies(tc.data, 10_000, 10_000 + (tc.ageMs ?? 0), 60_000);
      expect(out.map((a) => [a.name, a.replicas])).to.deep.equal(tc.want);
    });
  }

  it('the apply body claims only spec.replicas', () => {
    expect(replicasApplyBody({ namespace: 'ns', name: 'x', replicas: 3, reason: '' })).to.deep.equal({
      apiVersion: 'workload.matrixinfer.ai/v1alpha1', kind: 'ModelInfer', metadata: { name: 'x', namespace: 'ns' }, spec: { replicas: 3 },
    });
  });
});
