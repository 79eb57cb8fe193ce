import { expect } from 'chai';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { FastCounter, FastGauge, FastHistogram } from './fast-metrics.js';

// The fast metrics must print exactly what prom-client prints for the same updates, so the
// gateway's /metrics did not change when they replaced prom-client's own children.
async function text(r: Registry, name: string): Promise<string> {
  return (await r.getSingleMetricAsString(name)).replaceAll(/\b(ref|fast)_/g, 'x_');
}

describe('fast metrics render like prom-client', () => {
  const buckets = [0.001, 0.01, 0.1, 1, 10];
  const values = [0.0005, 0.001, 0.002, 0.05, 0.05, 0.7, 3, 42, 0];

  it('histogram: cumulative buckets, +Inf, sum, count per label set', async () => {
    const ref = new Registry();
    const fast = new Registry();
    const h = new Histogram({ name: 'ref_h', help: 'h', labelNames: ['model'], buckets, registers: [ref] });
    const f = new FastHistogram({ name: 'fast_h', help: 'h', labelNames: ['model'], buckets, registry: fast });
    for (const [i, v] of values.entries()) {
      const model = i % 2 ? 'a' : 'b "quoted"';
      h.labels(model).observe(v);
      f.labels(model).observe(v);
    }
    expect(await text(fast, 'fast_h')).to.equal(await text(ref, 'ref_h'));
  });

  it('histogram without labels', async () => {
    const ref = new Registry();
    const fast = new Registry();
    const h = new Histogram({ name: 'ref_n', help: 'n', buckets, registers: [ref] });
    const f = new FastHistogram({ name: 'fast_n', help: 'n', labelNames: [], buckets, registry: fast });
    for (const v of values) {
      h.observe(v);
      f.labels().observe(v);
    }
    expect(await text(fast, 'fast_n')).to.equal(await text(ref, 'ref_n'));
  });

  it('counter and gauge', async () => {
    const ref = new Registry();
    const fast = new Registry();
    const c = new Counter({ name: 'ref_c', help: 'c', labelNames: ['model', 'code'], registers: [ref] });
    const fc = new FastCounter({ name: 'fast_c', help: 'c', labelNames: ['model', 'code'], registry: fast });
    const g = new Gauge({ name: 'ref_g', help: 'g', labelNames: ['model'], registers: [ref] });
    const fg = new FastGauge({ name: 'fast_g', help: 'g', labelNames: ['model'], registry: fast });
    c.labels('m', '200').inc();
    c.labels('m', '200').inc(4);
    c.labels('m', '503').inc();
    fc.labels('m', '200').inc();
    fc.labels('m', '200').inc(4);
    fc.labels('m', '503').inc();
    g.labels('m').inc();
    g.labels('m').inc();
    g.labels('m').dec();
    g.labels('n').set(7);
    fg.labels('m').inc();
    fg.labels('m').inc();
    fg.labels('m').dec();
    fg.labels('n').set(7);
    expect(await text(fast, 'fast_c')).to.equal(await text(ref, 'ref_c'));
    expect(await text(fast, 'fast_g')).to.equal(await text(ref, 'ref_g'));
  });

  it('rejects a wrong number of label values and bad buckets', () => {
    const r = new Registry();
    const f = new FastHistogram({ name: 'h', help: 'h', labelNames: ['model'], buckets, registry: r });
    expect(() => f.labels('a', 'b')).to.throw(/expected 1 label values/);
    expect(() => new FastHistogram({ name: 'h2', help: 'h', labelNames: [], buckets: [1, 1], registry: r })).to.throw(/distinct/);
  });

  it('ignores non-finite observations instead of corrupting the sum', async () => {
    const r = new Registry();
    const f = new FastHistogram({ name: 'h', help: 'h', labelNames: [], buckets, registry: r });
    f.labels().observe(Number.NaN);
    f.labels().observe(0.5);
    expect(await r.getSingleMetricAsString('h')).to.include('h_count 1').and.include('h_sum 0.5');
  });
});
