import { expect } from 'chai';
import { explainHeader, explainRecord, sampleDecision, wantsExplain } from './explain.js';
import { createSchedulerSync } from './scheduler.js';
import { endpoint as ep, fnvHasher, request } from './testing.js';

const s = createSchedulerSync('default', { hasher: fnvHasher() });

describe('explain', () => {
  const res = s.schedule(request({ adapter: 'nope' }), [ep('a', { inFlight: 2 }), ep('b', { kvUsage: 0.25 })]);

  it('header: picked, filter counts, bypassed filters and rounded scores', () => {
    const v = JSON.parse(explainHeader(res));
    expect(v.picked).to.equal('b');
    expect(v.filtered).to.deep.equal({ 'lora-affinity': 2 });
    expect(v.bypassed).to.deep.equal(['lora-affinity']);
    expect(v.candidates[0]).to.deep.equal({
      id: 'b',
      total: 3 * 0 + 2 * 1 + 1 * 0.75,
      scores: { 'prefix-cache': 0, 'least-request': 1, 'kv-cache': 0.75 },
    });
    expect(v.candidates[1].scores['least-request']).to.equal(0.333);
  });

  const bounds = [
    { max: 10_000, some: true, all: true },
    { max: 600, some: true, all: false },
    { max: 40, some: false, all: false },
  ];
  for (const tc of bounds) {
    it(`header stays within ${tc.max} characters`, () => {
      const many = s.schedule(request(), Array.from({ length: 40 }, (_, i) => ep(`endpoint-${i}`, { inFlight: i })));
      const h = explainHeader(many, tc.max);
      expect(h.length).to.be.at.most(tc.max);
      const v = JSON.parse(h);
      const shown: number = v.candidates?.length ?? 0;
      expect(shown > 0).to.equal(tc.some);
      expect(shown === 40).to.equal(tc.all);
      expect(shown + (v.more ?? 0)).to.equal(40);
      // Tight: one more candidate would not have fit.
      if (tc.some && !tc.all) expect(h.length).to.be.greaterThan(tc.max - 160);
      expect(v.picked).to.equal('endpoint-0');
    });
  }

  it('header escapes non-ASCII so it is a valid header value', () => {
    const r = s.schedule(request(), [ep('ü-1')]);
    const h = explainHeader(r);
    expect(/^[\x20-\x7e]*$/.test(h)).to.equal(true);
    expect(JSON.parse(h).picked).to.equal('ü-1');
  });

  it('record: every candidate with load inputs and scores, JSON-safe', () => {
    const rec = explainRecord(request({ requestId: 'rq', adapter: 'nope' }), res);
    expect(rec.requestId).to.equal('rq');
    expect(rec.adapter).to.equal('nope');
    expect(rec.input).to.equal(2);
    expect(rec.candidates.map((c) => c.id)).to.deep.equal(['b', 'a']);
    expect(rec.candidates[1].load.inFlight).to.equal(2);
    const inf = explainRecord(request(), s.schedule(request(), [ep('x', { sampleAgeMs: Infinity })]));
    expect(JSON.parse(JSON.stringify(inf)).candidates[0].load.sampleAgeMs).to.equal(null);
  });

  const rates = [
    { rate: 0, want: 0 },
    { rate: 1, want: 1000 },
    { rate: 0.1, min: 60, max: 140 },
  ];
  for (const tc of rates) {
    it(`samples decisions at rate ${tc.rate}`, () => {
      let n = 0;
      for (let i = 0; i < 1000; i++) if (sampleDecision(request({ random: i / 1000 }), tc.rate)) n++;
      if (tc.want !== undefined) expect(n).to.equal(tc.want);
      else expect(n).to.be.within(tc.min, tc.max);
    });
  }

  const heads = [
    { h: { 'x-mi-explain': 'true' }, want: true },
    { h: { 'x-mi-explain': 'TRUE ' }, want: true },
    { h: { 'x-mi-explain': 'false' }, want: false },
    { h: {}, want: false },
  ];
  for (const tc of heads) {
    it(`wantsExplain(${JSON.stringify(tc.h)}) = ${tc.want}`, () => expect(wantsExplain(request({ headers: tc.h }))).to.equal(tc.want));
  }

  it('notes of scorers reach the header and the record', () => {
    const s2 = createSchedulerSync('default', { hasher: fnvHasher() });
    const prompt = 'q'.repeat(64 * 4);
    s2.observe(request({ promptText: prompt }), ep('a'), { ok: true, status: 200 });
    const r = s2.schedule(request({ promptText: prompt }), [ep('a', { inFlight: 50 }), ep('b')]);
    expect(JSON.parse(explainHeader(r)).notes['prefix-cache'][0]).to.match(/hotspot guard: ignored 1.00 affinity to a/);
    expect(explainRecord(request(), r).notes?.['prefix-cache']).to.have.length(1);
  });
});
