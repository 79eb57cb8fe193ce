import { expect } from 'chai';
import { endpoint as ep } from '../../testing.js';
import { kvCacheScores } from './index.js';

describe('kv-cache scorer', () => {
  const cases = [
    { name: 'free cache scores 1 - usage', eps: [ep('a', { kvUsage: 0.2 }), ep('b', { kvUsage: 0.9 })], want: [0.8, 0.1] },
    { name: 'usage outside [0,1] is clamped', eps: [ep('a', { kvUsage: 1.5 }), ep('b', { kvUsage: -0.5 })], want: [0, 1] },
    { name: 'stale sample counts as free', eps: [ep('a', { kvUsage: 0.9, sampleAgeMs: 60_000 })], want: [1] },
    { name: 'no sample counts as free', eps: [ep('a', { kvUsage: 0.9, sampleAgeMs: Infinity })], want: [1] },
    { name: 'NaN usage counts as free', eps: [ep('a', { kvUsage: Number.NaN })], want: [1] },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const got = kvCacheScores(tc.eps, 10_000);
      got.forEach((g, i) => expect(g).to.be.closeTo(tc.want[i], 1e-9));
    });
  }
});
