import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { parseDocuments } from './parse.js';
import { expectValid, loadExample } from './testkit.js';
import { createResourceValidator, MAX_RESOURCE_DEPTH, validateResource } from './validate.js';

function issues(doc: unknown): string[] {
  const r = validateResource(doc);
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}

describe('validateResource', () => {
  it('accepts every document in examples/resources', () => {
    const dir = new URL('../../examples/resources/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    const kinds = new Set<string>();
    for (const f of files) {
      for (const d of parseDocuments(readFileSync(new URL(f, dir), 'utf8'), f)) {
        expectValid(d.doc);
        kinds.add((d.doc as { kind: string }).kind);
      }
    }
    expect([...kinds].sort()).to.deep.equal(['AutoscalingPolicy', 'AutoscalingPolicyBinding', 'Model', 'ModelInfer', 'ModelRoute', 'ModelServer']);
  });

  const cases: Array<{ name: string; doc: unknown; want: string[] }> = [
    { name: 'a list instead of an object', doc: [], want: [': must be an object with apiVersion, kind, metadata and spec (got a list of 0 items)'] },
    { name: 'a string', doc: 'Model', want: [': must be an object with apiVersion, kind, metadata and spec (got "Model")'] },
    { name: 'no kind, no apiVersion', doc: { metadata: { name: 'a' } }, want: ['kind: is required (one of Model, ModelInfer, ModelServer, ModelRoute, AutoscalingPolicy, AutoscalingPolicyBinding)', 'apiVersion: is required'] },
    { name: 'unknown kind', doc: { apiVersion: 'apps/v1', kind: 'Deployment' }, want: ['kind: is not a MatrixInfer kind (got "Deployment"); known kinds: Model, ModelInfer, ModelServer, ModelRoute, AutoscalingPolicy, AutoscalingPolicyBinding.'] },
    { name: 'kind in the wrong case', doc: { apiVersion: 'registry.matrixinfer.ai/v1alpha1', kind: 'model' }, want: ['kind: is not a MatrixInfer kind (got "model"); known kinds: Model, ModelInfer, ModelServer, ModelRoute, AutoscalingPolicy, AutoscalingPolicyBinding. Did you mean "Model"?'] },
    { name: 'kind not a string', doc: { apiVersion: 'x', kind: 3 }, want: ['kind: must be a string (got 3)'] },
    {
      name: 'missing apiVersion of a known kind, no metadata, no spec',
      doc: { kind: 'ModelServer' },
      want: ['apiVersion: is required ("networking.matrixinfer.ai/v1alpha1" for ModelServer)', 'metadata: is required', 'spec: is required'],
    },
    {
      name: 'unknown top-level field',
      doc: { apiVersion: 'networking.matrixinfer.ai/v1alpha1', kind: 'ModelServer', metadata: { name: 'a' }, spec: { inferenceEngine: 'vLLM', workloadSelector: { matchLabels: {} }, workloadPort: { port: 80 } }, specs: {} },
      want: ['specs: is not a known field (did you mean "spec"?); known fields: apiVersion, kind, metadata, spec, status'],
    },
  ];
  for (const tc of cases) {
    it(`reports ${tc.name}`, () => {
      expect(issues(tc.doc)).to.deep.equal(tc.want);
    });
  }

  // Regression (resource fuzz): structuredClone/ajv overflowed the stack and validateResource threw RangeError.
  it('refuses a document nested thousands deep with one issue instead of throwing', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 5000; i++) deep = { d: deep };
    const doc = { ...loadExample('model.yaml'), zz: deep };
    expect(issues(doc)).to.deep.equal([`: is nested deeper than ${MAX_RESOURCE_DEPTH} levels`]);
  });

  it('reports every error of a document at once, schema and cross-field alike', () => {
    const doc = loadExample('modelroute.yaml') as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
    doc.metadata.name = 'Bad.Name';
    const rules = doc.spec.rules as Array<{ name: string; targetModels: Array<Record<string, unknown>> }>;
    rules[1].name = 'premium';
    rules[1].targetModels[0].weight = 140;
    delete rules[1].targetModels[1].weight;
    const got = issues(doc).map((i) => i.split(':')[0]);
    expect(got).to.have.members(['metadata.name', 'spec.rules[1].targetModels[0].weight', 'spec.rules[1].name', 'spec.rules[1].targetModels[1].weight']);
  });

  it('keeps Kubernetes-maintained metadata and server fields', () => {
    const doc = loadExample('modelserver.yaml') as { metadata: Record<string, unknown> };
    Object.assign(doc.metadata, {
      uid: '6c1d0d4e-6b67-4f53-9f0c-5b8d2a0c1e11',
      resourceVersion: '42',
      generation: 3,
      creationTimestamp: '2025-05-01T10:00:00Z',
      deletionTimestamp: '2025-05-01T11:00:00Z',
      ownerReferences: [{ apiVersion: 'registry.matrixinfer.ai/v1alpha1', kind: 'Model', name: 'qwen', uid: 'u1', controller: true }],
      managedFields: [{ manager: 'kubectl' }],
    });
    const r = expectValid(doc) as { metadata: Record<string, unknown> };
    expect(r.metadata.generation).to.equal(3);
    expect(r.metadata.managedFields).to.deep.equal([{ manager: 'kubectl' }]);
  });

  it('rejects a malformed server timestamp', () => {
    const doc = loadExample('modelserver.yaml') as { metadata: Record<string, unknown> };
    doc.metadata.creationTimestamp = 'yesterday';
    expect(issues(doc)).to.deep.equal(['metadata.creationTimestamp: must be an RFC 3339 date-time like "2025-01-02T15:04:05Z" (got "yesterday")']);
  });

  it('accepts a status written by a controller', () => {
    const doc = loadExample('modelinfer.yaml') as Record<string, unknown>;
    doc.status = {
      observedGeneration: 1,
      replicas: 2,
      currentReplicas: 2,
      updatedReplicas: 2,
      availableReplicas: 1,
      currentRevision: 'r1',
      updateRevision: 'r1',
      labelSelector: 'modelinfer.matrixinfer.ai/name=qwen-pd',
      conditions: [{ type: 'Available', status: 'False', reason: 'GroupStarting', message: '1 of 2 groups ready', lastTransitionTime: '2025-05-01T10:00:00Z' }],
    };
    expectValid(doc);
    (doc.status as { conditions: Array<Record<string, unknown>> }).conditions[0].status = 'Maybe';
    expect(issues(doc)).to.deep.equal(['status.conditions[0].status: must be one of "True", "False", "Unknown" (got "Maybe")']);
  });

  it('a separate validator instance gives the same answers', () => {
    const v = createResourceValidator();
    const doc = loadExample('autoscalingpolicy.yaml');
    expect(v.validate(doc)).to.deep.equal(validateResource(doc));
  });
});
