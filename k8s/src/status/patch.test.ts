import { expect } from 'chai';
import type { StoredResource } from '@matrixinfer/events';
import { INGEST_ANNOTATIONS } from '../ingest/object.js';
import { observedGenerationFor, statusPatch } from './patch.js';

const live = (generation: number, k8sGeneration?: number): StoredResource =>
  ({
    apiVersion: 'registry.matrixinfer.ai/v1alpha1',
    kind: 'Model',
    metadata: { name: 'm', namespace: 'default', uid: 'u', generation, resourceVersion: '9', creationTimestamp: 't', annotations: k8sGeneration === undefined ? {} : { [INGEST_ANNOTATIONS.generation]: String(k8sGeneration), [INGEST_ANNOTATIONS.uid]: 'k' } },
    spec: {},
  }) as StoredResource;
const fields = new Set(['conditions', 'observedGeneration', 'backendStatuses']);
const NOW = '2026-12-07T02:00:00.000Z';

describe('k8s status write-back: statusPatch', () => {
  it('translates observedGeneration to the Kubernetes generation, stamps new conditions, drops undeclared fields', () => {
    const p = statusPatch({
      current: { metadata: { generation: 4 } },
      desired: { observedGeneration: 2, conditions: [{ type: 'Active', status: 'True', reason: 'R', message: 'm' }], revisions: ['x'], backendStatuses: [] },
      live: live(2, 4),
      fields,
      nowIso: NOW,
    });
    expect(p).to.deep.equal({ status: { backendStatuses: [], conditions: [{ type: 'Active', status: 'True', reason: 'R', message: 'm', lastTransitionTime: NOW }], observedGeneration: 4 } });
  });

  it('is null when Kubernetes already shows it, and keeps lastTransitionTime while a condition keeps its status', () => {
    const current = { metadata: { generation: 4 }, status: { observedGeneration: 4, conditions: [{ type: 'Active', status: 'True', reason: 'R', message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z' }] } };
    const desired = { observedGeneration: 2, conditions: [{ type: 'Active', status: 'True', reason: 'R', message: 'm' }] };
    expect(statusPatch({ current, desired, live: live(2, 4), fields, nowIso: NOW })).to.equal(null);
    const changedMessage = statusPatch({ current, desired: { ...desired, conditions: [{ type: 'Active', status: 'True', reason: 'R', message: 'other' }] }, live: live(2, 4), fields, nowIso: NOW });
    expect(changedMessage!.status.conditions).to.deep.equal([{ type: 'Active', status: 'True', reason: 'R', message: 'other', lastTransitionTime: '2026-01-01T00:00:00Z' }]);
    const flipped = statusPatch({ current, desired: { ...desired, conditions: [{ type: 'Active', status: 'False', reason: 'R', message: 'm' }] }, live: live(2, 4), fields, nowIso: NOW });
    expect((flipped!.status.conditions as { lastTransitionTime: string }[])[0].lastTransitionTime).to.equal(NOW);
  });

  it('leaves observedGeneration out while the status lags behind the live version; a mirrored child uses its own generation', () => {
    expect(observedGenerationFor({ observedGeneration: 1 }, live(2, 4), { metadata: { generation: 4 } })).to.equal(undefined);
    expect(observedGenerationFor({ observedGeneration: 2 }, null, { metadata: { generation: 4 } })).to.equal(undefined);
    expect(observedGenerationFor({ observedGeneration: 2 }, live(2), { metadata: { generation: 7 } })).to.equal(7);
    const p = statusPatch({ current: { metadata: { generation: 4 } }, desired: { observedGeneration: 1, conditions: [] }, live: live(2, 4), fields, nowIso: NOW });
    expect(p).to.deep.equal({ status: { conditions: [] } });
  });
});
