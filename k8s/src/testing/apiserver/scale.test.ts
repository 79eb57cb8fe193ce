import { expect } from 'chai';
import { ApiStatusError } from './errors.js';
import { fromScale, toScale } from './scale.js';

describe('test apiserver scale subresource', () => {
  const sc = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.labelSelector' };
  const obj = { metadata: { name: 'mi', namespace: 'd', uid: 'u', resourceVersion: '7' }, spec: { replicas: 2, template: {} }, status: { replicas: 1, labelSelector: 'a=b' } };

  it('shows replicas, status replicas and selector through the CRD paths', () => {
    expect(toScale(obj, sc)).to.deep.include({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { replicas: 1, selector: 'a=b' } });
  });

  it('writes only spec.replicas back, carrying the Scale resourceVersion as precondition', () => {
    const next = fromScale(obj, { metadata: { resourceVersion: '7' }, spec: { replicas: 3 } }, sc);
    expect(next.spec).to.deep.equal({ replicas: 3, template: {} });
    expect(next.status).to.deep.equal(obj.status);
    expect(next.metadata?.resourceVersion).to.equal('7');
    expect(fromScale(obj, { spec: { replicas: 0 } }, sc).metadata?.resourceVersion).to.equal(undefined);
  });

  for (const bad of [-1, 1.5, 'x', undefined]) {
    it(`refuses replicas ${JSON.stringify(bad)} with 422 on spec.replicas`, () => {
      try {
        fromScale(obj, { spec: { replicas: bad } }, sc);
        expect.fail('accepted');
      } catch (e) {
        expect((e as ApiStatusError).status.code).to.equal(422);
        expect((e as ApiStatusError).status.details?.causes?.[0].field).to.equal('spec.replicas');
      }
    });
  }
});
