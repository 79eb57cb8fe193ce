import { expect } from 'chai';
import { UnknownKindError } from './errors.js';
import { KINDS, resolveKind } from './registry.js';

describe('kind registry', () => {
  const cases: Array<[string, string]> = [
    ['Model', 'Model'],
    ['models', 'Model'],
    ['model', 'Model'],
    ['MDL', 'Model'],
    ['modelinfer', 'ModelInfer'],
    ['ModelInfers', 'ModelInfer'],
    ['minfer', 'ModelInfer'],
    ['ms', 'ModelServer'],
    ['modelservers.networking.matrixinfer.ai', 'ModelServer'],
    ['mr', 'ModelRoute'],
    ['MODELROUTE', 'ModelRoute'],
    ['asp', 'AutoscalingPolicy'],
    ['autoscalingpolicies', 'AutoscalingPolicy'],
    ['aspb', 'AutoscalingPolicyBinding'],
    [' AutoscalingPolicyBinding ', 'AutoscalingPolicyBinding'],
  ];
  for (const [input, kind] of cases) {
    it(`resolves ${JSON.stringify(input)} to ${kind}`, () => {
      expect(resolveKind(input).kind).to.equal(kind);
    });
  }

  for (const bad of ['mi', 'pods', '', 'modelz']) {
    it(`rejects ${JSON.stringify(bad)} with MI_ERR_UNKNOWN_KIND and the list of kinds`, () => {
      expect(() => resolveKind(bad))
        .to.throw(UnknownKindError)
        .with.property('message')
        .that.contains('Model (models, mdl)')
        .and.contains('ModelInfer (modelinfers, minfer)');
      try {
        resolveKind(bad);
      } catch (e) {
        expect((e as UnknownKindError).code).to.equal('MI_ERR_UNKNOWN_KIND');
      }
    });
  }

  it('has unique plurals and short names, and none of them is "mi"', () => {
    const names = KINDS.flatMap((k) => [k.plural, k.singular, ...k.shortNames]);
    expect(new Set(names).size).to.equal(names.length);
    expect(names).to.not.include('mi');
    expect(KINDS.map((k) => k.apiVersion)).to.deep.equal([
      'registry.matrixinfer.ai/v1alpha1',
      'workload.matrixinfer.ai/v1alpha1',
      'networking.matrixinfer.ai/v1alpha1',
      'networking.matrixinfer.ai/v1alpha1',
      'registry.matrixinfer.ai/v1alpha1',
      'registry.matrixinfer.ai/v1alpha1',
    ]);
  });
});
