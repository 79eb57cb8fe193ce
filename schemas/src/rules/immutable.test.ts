import { expect } from 'chai';
import { expectValid, loadExample, setAt } from '../testkit.js';
import { updateIssues } from './immutable.js';

type Doc = Record<string, unknown>;
const changed = (file: string, path: string, value: unknown): { before: Doc; after: Doc } => {
  const before = expectValid(loadExample(file));
  const doc = structuredClone(loadExample(file));
  setAt(doc, path, value);
  return { before, after: expectValid(doc) };
};

describe('immutable fields on update', () => {
  it('refuses a new ModelRoute modelName, naming the field and both values', () => {
    const { before, after } = changed('modelroute.yaml', 'spec.modelName', 'other-model');
    const issues = updateIssues('ModelRoute', before, after);
    expect(issues).to.have.length(1);
    expect(issues[0].path).to.equal('spec.modelName');
    expect(issues[0].message).to.match(/^is immutable \(was ".+", now "other-model"\)/);
  });

  it('allows every other ModelRoute change', () => {
    const { before, after } = changed('modelroute.yaml', 'spec.rules', [{ name: 'only', targetModels: [{ modelServerName: 'x' }] }]);
    expect(updateIssues('ModelRoute', before, after)).to.deep.equal([]);
  });

  it('refuses retargeting a binding, but not new replica bounds', () => {
    const moved = changed('autoscalingpolicybinding.yaml', 'spec.scalingConfiguration.target.targetRef.name', 'another-infer');
    expect(updateIssues('AutoscalingPolicyBinding', moved.before, moved.after).map((i) => i.path)).to.deep.equal(['spec.scalingConfiguration.target.targetRef.name']);
    const bounds = changed('autoscalingpolicybinding.yaml', 'spec.scalingConfiguration.maxReplicas', 9);
    expect(updateIssues('AutoscalingPolicyBinding', bounds.before, bounds.after)).to.deep.equal([]);
  });

  it('writing out a defaulted value is no change', () => {
    const { before, after } = changed('autoscalingpolicybinding.yaml', 'spec.scalingConfiguration.target.targetRef.kind', 'ModelInfer');
    expect(updateIssues('AutoscalingPolicyBinding', before, after)).to.deep.equal([]);
  });

  it('refuses switching a binding between scaling and optimizer configurations, once', () => {
    const before = expectValid(loadExample('autoscalingpolicybinding.yaml'));
    const opt = loadExample('autoscalingpolicybinding-optimizer.yaml');
    const after = expectValid({ ...opt, metadata: before.metadata });
    const issues = updateIssues('AutoscalingPolicyBinding', before, after);
    expect(issues.map((i) => i.path)).to.deep.equal(['spec']);
    expect(issues[0].message).to.contain('"scalingConfiguration", now "optimizerConfiguration"');
  });

  it('has nothing to say about kinds without immutable fields, or odd shapes', () => {
    const m = expectValid(loadExample('model.yaml'));
    expect(updateIssues('Model', m, { ...m, spec: { backends: [] } })).to.deep.equal([]);
    expect(updateIssues('ModelRoute', { spec: 7 }, { spec: null })).to.deep.equal([]);
  });
});
