import { expect } from 'chai';
import { decodeEvent, encodeEvent, makeEvent } from './envelope.js';
import { formatTraceparent, isSampled, parseTraceparent, traceIdOf } from './trace-context.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const P = '00f067aa0ba902b7';

describe('trace context (W3C traceparent)', () => {
  const valid = [
    { name: 'version 00, sampled', v: `00-${T}-${P}-01`, flags: 1 },
    { name: 'version 00, not sampled', v: `00-${T}-${P}-00`, flags: 0 },
    { name: 'other flag bits kept', v: `00-${T}-${P}-09`, flags: 9 },
    { name: 'a future version read by its first four fields', v: `cc-${T}-${P}-01-what-the-future-will-be-like`, flags: 1 },
    { name: 'a future version of exactly 55 characters', v: `01-${T}-${P}-01`, flags: 1 },
  ];
  for (const tc of valid) {
    it(`accepts ${tc.name}`, () => {
      expect(parseTraceparent(tc.v)).to.deep.equal({ traceId: T, parentId: P, flags: tc.flags });
    });
  }
  const invalid = [
    { name: 'absent', v: undefined },
    { name: 'several headers', v: [`00-${T}-${P}-01`, `00-${T}-${P}-01`] },
    { name: 'empty', v: '' },
    { name: 'version ff', v: `ff-${T}-${P}-01` },
    { name: 'all-zero trace id', v: `00-${'0'.repeat(32)}-${P}-01` },
    { name: 'all-zero parent id', v: `00-${T}-${'0'.repeat(16)}-01` },
    { name: 'uppercase hex', v: `00-${T.toUpperCase()}-${P}-01` },
    { name: 'version 00 with extra fields', v: `00-${T}-${P}-01-extra` },
    { name: 'a future version continued without a dash', v: `cc-${T}-${P}-01x` },
    { name: 'a short trace id', v: `00-${T.slice(1)}-${P}-01` },
    { name: 'wrong separators', v: `00_${T}_${P}_01` },
    { name: 'non-hex flags', v: `00-${T}-${P}-0g` },
  ];
  for (const tc of invalid) {
    it(`rejects ${tc.name}`, () => {
      expect(parseTraceparent(tc.v as string | undefined)).to.equal(null);
    });
  }

  it('formats version 00 with two-digit flags, and round-trips', () => {
    const v = formatTraceparent(T, P, 1);
    expect(v).to.equal(`00-${T}-${P}-01`);
    expect(parseTraceparent(v)).to.deep.equal({ traceId: T, parentId: P, flags: 1 });
    expect(formatTraceparent(T, P, 0)).to.equal(`00-${T}-${P}-00`);
    expect(isSampled(1)).to.equal(true);
    expect(isSampled(8)).to.equal(false);
    expect(traceIdOf(`00-${T}-${P}-01`)).to.equal(T);
    expect(traceIdOf('nonsense')).to.equal(undefined);
  });

  it('envelope: an optional traceparent is carried when given and absent otherwise; a non-string one is dropped on decode', () => {
    const tp = `00-${T}-${P}-01`;
    const e = makeEvent('t', 's', 'mi.x', { a: 1 }, { id: 'e1', now: () => 0, traceparent: tp });
    expect(decodeEvent(encodeEvent(e)).traceparent).to.equal(tp);
    expect('traceparent' in makeEvent('t', 's', 'mi.x', {}, { id: 'e2', now: () => 0 })).to.equal(false);
    const bad = decodeEvent(JSON.stringify({ id: 'e3', type: 't', time: 'x', source: 's', subject: 'mi.x', data: {}, traceparent: 5 }));
    expect('traceparent' in bad).to.equal(false);
  });
});
