import { expect } from 'chai';
import { formatLabelSelector, matchFields, matchLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';

describe('test apiserver selectors', () => {
  const labels = { app: 'web', tier: 'front', 'matrixinfer.ai/group': '0', n: '5' };
  const cases: { sel: string; want: boolean }[] = [
    { sel: '', want: true },
    { sel: 'app', want: true },
    { sel: '!app', want: false },
    { sel: '!missing', want: true },
    { sel: 'app=web', want: true },
    { sel: 'app==web', want: true },
    { sel: 'app!=web', want: false },
    { sel: 'missing!=x', want: true },
    { sel: 'app in (web, api)', want: true },
    { sel: 'app in (api)', want: false },
    { sel: 'app notin (api)', want: true },
    { sel: 'missing notin (api)', want: true },
    { sel: 'missing in (api)', want: false },
    { sel: 'app=web,tier in (front,back),!missing', want: true },
    { sel: 'app=web,tier=back', want: false },
    { sel: 'matrixinfer.ai/group=0', want: true },
    { sel: 'n>4', want: true },
    { sel: 'n<4', want: false },
  ];
  for (const tc of cases) {
    it(`'${tc.sel}' matches: ${tc.want}`, () => {
      const p = parseLabelSelector(tc.sel);
      if (!p.ok) throw new Error(p.message);
      expect(matchLabels(p.value, labels)).to.equal(tc.want);
    });
  }
  for (const bad of ['app=we b', 'a b', 'app in (x', '-app', 'n>x']) {
    it(`refuses '${bad}'`, () => expect(parseLabelSelector(bad).ok).to.equal(false));
  }
  it('formats a LabelSelector object', () => {
    expect(formatLabelSelector({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'In', values: ['d', 'e'] }, { key: 'f', operator: 'DoesNotExist' }] })).to.equal('a=b,c in (d,e),!f');
  });
  it('field selectors: metadata.name and pod fields, unsupported ones refused', () => {
    const pod = { metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } };
    const p = parseFieldSelector('metadata.name=p,spec.nodeName!=n2', 'Pod');
    expect(p.ok && matchFields(p.value, pod)).to.equal(true);
    const q = parseFieldSelector('spec.nodeName=', 'Pod');
    expect(q.ok && matchFields(q.value, pod)).to.equal(false);
    const r = parseFieldSelector('spec.nodeName=n1', 'ConfigMap');
    expect(r).to.deep.equal({ ok: false, message: 'field label not supported: spec.nodeName' });
  });
});
