// Targets that are not ModelInfers (Kubernetes mode): the count comes from scale observations,
// the writes and the decision name the kind, and without an observation the decision says why.
import { expect } from 'chai';
import { scaleTargetKey, type ScaleObservation, type StoredResource } from '@matrixinfer/events';
import { emptyScalerState } from '../types.js';
import { createSampleBook } from './book.js';
import { stepUnit } from './step.js';
import { buildTopology } from './topology.js';

let seq = 0;
function res(kind: string, name: string, spec: unknown): StoredResource {
  seq++;
  return { apiVersion: 'x/v1', kind, metadata: { name, namespace: 'default', uid: `u${seq}`, resourceVersion: String(seq), generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' }, spec } as StoredResource;
}
const policy = res('AutoscalingPolicy', 'p', { metrics: [{ metricName: 'waiting', targetValue: 10 }] });
const deploymentBinding = res('AutoscalingPolicyBinding', 'web', {
  policyRef: { name: 'p' },
  scalingConfiguration: { target: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } }, minReplicas: 2, maxReplicas: 5 },
});
const observed = (o: Partial<ScaleObservation>): Map<string, ScaleObservation> =>
  new Map([[scaleTargetKey('default', 'Deployment', 'web'), { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'default', timeMs: 0, ...o }]]);

describe('autoscaler runner: targets with a scale subresource', () => {
  it('reads the count from the scale observation and writes through the Kubernetes applier (named in the decision)', () => {
    const topology = buildTopology([policy, deploymentBinding], observed({ specReplicas: 1, statusReplicas: 1 }));
    const r = stepUnit(topology.units[0], { topology, book: createSampleBook(), staleMs: 5000 }, emptyScalerState(), 10_000);
    // No metrics yet: the count is clamped into [2, 5].
    expect(r.data).to.include({ valid: true, currentReplicas: 1, desiredReplicas: 2 });
    expect(r.writes).to.deep.equal([{ namespace: 'default', target: 'web', from: 1, to: 2, ref: { apiVersion: 'apps/v1', kind: 'Deployment' } }]);
    expect(r.data.targetRefs).to.deep.equal({ web: { apiVersion: 'apps/v1', kind: 'Deployment' } });
  });

  it('a ModelInfer of the same name does not stand in for the Deployment', () => {
    const infer = res('ModelInfer', 'web', { replicas: 3, template: { roles: [] } });
    const topology = buildTopology([policy, deploymentBinding, infer]);
    const r = stepUnit(topology.units[0], { topology, book: createSampleBook(), staleMs: 5000 }, emptyScalerState(), 10_000);
    expect(r.data).to.include({ valid: false, invalidReason: 'target-missing' });
    expect(r.data.reason).to.equal(
      'Deployment web (apps/v1) cannot be read in namespace default: no scale observation: targets other than ModelInfer are scaled in Kubernetes mode (mi controller --kubernetes reads their scale subresource)',
    );
  });

  it('an observation that could not read the target is a target-missing decision with its error', () => {
    const topology = buildTopology([policy, deploymentBinding], observed({ error: 'deployments.apps "web" not found' }));
    const r = stepUnit(topology.units[0], { topology, book: createSampleBook(), staleMs: 5000 }, emptyScalerState(), 10_000);
    expect(r.data.reason).to.match(/cannot be read in namespace default: deployments.apps "web" not found$/);
    expect(r.writes).to.deep.equal([]);
  });
});
