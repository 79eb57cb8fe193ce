import { expect } from 'chai';
import { formatValue, Histogram, renderFamilies, Scalar } from './prom-text.js';

describe('sim Prometheus text writer', () => {
  const cases: Array<{ name: string; observations: number[]; want: string[] }> = [
    {
      name: 'cumulative buckets, +Inf, count and sum',
      observations: [0.5, 1, 1.5, 7],
      want: ['h_bucket{m="x",le="1.0"} 2.0', 'h_bucket{m="x",le="2.0"} 3.0', 'h_bucket{m="x",le="5.0"} 3.0',
        'h_bucket{m="x",le="+Inf"} 4.0', 'h_count{m="x"} 4.0', 'h_sum{m="x"} 10.0'],
    },
    {
      name: 'a value on a bucket bound counts in that bucket',
      observations: [2, 5],
      want: ['h_bucket{m="x",le="1.0"} 0.0', 'h_bucket{m="x",le="2.0"} 1.0', 'h_bucket{m="x",le="5.0"} 2.0',
        'h_bucket{m="x",le="+Inf"} 2.0', 'h_count{m="x"} 2.0', 'h_sum{m="x"} 7.0'],
    },
    {
      name: 'a touched series with no observation is all zero',
      observations: [],
      want: ['h_bucket{m="x",le="1.0"} 0.0', 'h_bucket{m="x",le="2.0"} 0.0', 'h_bucket{m="x",le="5.0"} 0.0',
        'h_bucket{m="x",le="+Inf"} 0.0', 'h_count{m="x"} 0.0', 'h_sum{m="x"} 0.0'],
    },
  ];
  for (const tc of cases) {
    it(`histogram: ${tc.name}`, () => {
      const h = new Histogram('h', 'help', [1, 2, 5], ['m']);
      h.touch(['x']);
      const bound = h.child(['x']);
      tc.observations.forEach((v, i) => (i % 2 ? bound.observe(v) : h.observe(['x'], v)));
      expect(renderFamilies([h]).split('\n').slice(2, -1)).to.deep.equal(tc.want);
    });
  }

  it('a bound counter child and label-value calls update the same series', () => {
    const c = new Scalar('c_total', 'help', 'counter', ['a', 'b']);
    const child = c.child(['1', '2']);
    child.inc(2);
    c.inc(['1', '2'], 3);
    c.set(['3', '4'], 1.5);
    expect(renderFamilies([c])).to.equal('# HELP c_total help\n# TYPE c_total counter\nc_total{a="1",b="2"} 5.0\nc_total{a="3",b="4"} 1.5\n');
  });

  it('formats numbers like prometheus_client', () => {
    expect([1, 0, 2.5, Infinity, -Infinity, NaN].map(formatValue)).to.deep.equal(['1.0', '0.0', '2.5', '+Inf', '-Inf', 'NaN']);
  });
});
