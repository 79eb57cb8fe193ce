import { expect } from 'chai';
import { endpoint as ep } from '../../testing.js';
import { leastRequestScores, requestLoad } from './index.js';

const p = { waitingWeight: 4, staleSampleMs: 10_000 };

describe('least-request scorer', () => {
  const cases = [
    { name: 'all idle score 1', eps: [ep('a'), ep('b')], want: [1, 1] },
    { name: 'twice the load (+1) halves the score', eps: [ep('a', { inFlight: 1 }), ep('b', { inFlight: 3 })], want: [1, 0.5] },
    { name: 'idle vs busy', eps: [ep('a'), ep('b', { inFlight: 9 })], want: [1, 0.1] },
    { name: 'similar high loads stay close', eps: [ep('a', { inFlight: 40 }), ep('b', { inFlight: 41 })], want: [1, 41 / 42] },
    { name: 'engine queue counts waitingWeight extra', eps: [ep('a', { inFlight: 4 }), ep('b', { inFlight: 2, waiting: 2 })], want: [1, 5 / 11] },
    { name: 'stale queue is ignored', eps: [ep('a', { inFlight: 4 }), ep('b', { inFlight: 2, waiting: 2, sampleAgeMs: 60_000 })], want: [3 / 5, 1] },
    { name: 'unknown sample (Infinity age) ignores queue', eps: [ep('a', { waiting: 5, sampleAgeMs: Infinity })], want: [1] },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const got = leastRequestScores(tc.eps, p);
      expect(got.length).to.equal(tc.want.length);
      got.forEach((g, i) => expect(g).to.be.closeTo(tc.want[i], 1e-9));
    });
  }

  it('load estimate is in-flight + weighted fresh queue', () => {
    expect(requestLoad(ep('a', { inFlight: 3, waiting: 2 }), 4, 1000)).to.equal(11);
    expect(requestLoad(ep('a', { inFlight: -1 }), 4, 1000)).to.equal(0);
  });
});
