import { expect } from 'chai';
import { dashboardQueries, substituteVariables } from './dashboard.js';

describe('e2e support/dashboard', () => {
  it('collects targets of top-level and row-nested panels, skipping empty ones', () => {
    const q = dashboardQueries({
      panels: [
        { title: 'a', targets: [{ refId: 'A', expr: 'up' }, { refId: 'B', expr: '' }] },
        { title: 'row', panels: [{ title: 'b', targets: [{ refId: 'A', expr: 'sum(x)' }] }] },
      ],
    });
    expect(q).to.deep.equal([
      { panel: 'a', refId: 'A', expr: 'up' },
      { panel: 'b', refId: 'A', expr: 'sum(x)' },
    ]);
  });

  const cases = [
    { name: 'plain and braced', expr: 'x{m=~"$model",n=~"${ns}"}[$__rate_interval]', want: 'x{m=~".*",n=~".*"}[15s]' },
    { name: 'longer names first', expr: 'x{a=~"$model_name",b=~"$model"}', want: 'x{a=~"A",b=~".*"}' },
  ];
  for (const tc of cases) {
    it(`substitutes ${tc.name}`, () => {
      expect(substituteVariables(tc.expr, { model: '.*', ns: '.*', model_name: 'A' }, '15s')).to.equal(tc.want);
    });
  }

  it('refuses a variable it was not given', () => {
    expect(() => substituteVariables('x{a=~"$other"}', { model: '.*' }, '15s')).to.throw(/unknown template variable \$other/);
  });
});
