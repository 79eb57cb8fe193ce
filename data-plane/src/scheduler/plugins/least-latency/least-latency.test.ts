import { expect } from 'chai';
import { endpoint as ep } from '../../testing.js';
import { leastLatencyScores, minMaxLowIsBest } from './index.js';

describe('least-latency scorer', () => {
  const p = { alpha: 0.5, staleSampleMs: 10_000 };
  const cases = [
    { name: 'lower TTFT and TPOT wins', eps: [ep('a', { ttftMs: 100, tpotMs: 10 }), ep('b', { ttftMs: 300, tpotMs: 30 })], want: [1, 0] },
    { name: 'middle value is interpolated', eps: [ep('a', { ttftMs: 100, tpotMs: 10 }), ep('b', { ttftMs: 200, tpotMs: 20 }), ep('c', { ttftMs: 300, tpotMs: 30 })], want: [1, 0.5, 0] },
    { name: 'TTFT and TPOT disagree: blended by alpha', eps: [ep('a', { ttftMs: 100, tpotMs: 30 }), ep('b', { ttftMs: 300, tpotMs: 10 })], want: [0.5, 0.5] },
    { name: 'all equal score 1', eps: [ep('a', { ttftMs: 50, tpotMs: 5 }), ep('b', { ttftMs: 50, tpotMs: 5 })], want: [1, 1] },
    { name: 'unknown latency is optimistic', eps: [ep('a', { ttftMs: 100, tpotMs: 10 }), ep('b'), ep('c', { ttftMs: 200, tpotMs: 20 })], want: [1, 1, 0] },
    { name: 'stale sample counts as unknown', eps: [ep('a', { ttftMs: 100, tpotMs: 10 }), ep('b', { ttftMs: 900, tpotMs: 90, sampleAgeMs: 60_000 })], want: [1, 1] },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const got = leastLatencyScores(tc.eps, p);
      got.forEach((g, i) => expect(g).to.be.closeTo(tc.want[i], 1e-9));
    });
  }

  it('alpha 1 uses TTFT only', () => {
    const got = leastLatencyScores([ep('a', { ttftMs: 100, tpotMs: 30 }), ep('b', { ttftMs: 300, tpotMs: 10 })], { ...p, alpha: 1 });
    expect(got).to.deep.equal([1, 0]);
  });

  it('min-max of nothing known is all 1', () => {
    expect(minMaxLowIsBest([undefined, undefined])).to.deep.equal([1, 1]);
  });
});
