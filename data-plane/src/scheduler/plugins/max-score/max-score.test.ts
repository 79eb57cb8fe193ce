import { expect } from 'chai';
import { endpoint, request } from '../../testing.js';
import type { ScoredEndpoint } from '../../types.js';
import { orderByScore } from './index.js';

const scored = (totals: Record<string, number>): ScoredEndpoint[] =>
  Object.entries(totals).map(([id, total]) => ({ endpoint: endpoint(id), total, scores: {} }));

describe('max-score picker', () => {
  const cases: { name: string; totals: Record<string, number>; max: number; want: string[] }[] = [
    { name: 'orders by total descending', totals: { a: 1, b: 3, c: 2 }, max: 10, want: ['b', 'c', 'a'] },
    { name: 'truncates to maxCandidates', totals: { a: 1, b: 3, c: 2 }, max: 2, want: ['b', 'c'] },
    { name: 'single candidate', totals: { a: 0 }, max: 10, want: ['a'] },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      expect(orderByScore(request(), scored(tc.totals), tc.max).map((s) => s.endpoint.id)).to.deep.equal(tc.want);
    });
  }

  it('breaks ties at random by req.random, and only among the tied', () => {
    const first = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const order = orderByScore(request({ random: i / 200 }), scored({ a: 1, b: 1, c: 1, d: 0.5 }), 10);
      expect(order[3].endpoint.id).to.equal('d');
      const id = order[0].endpoint.id;
      first.set(id, (first.get(id) ?? 0) + 1);
    }
    for (const id of ['a', 'b', 'c']) expect(first.get(id) ?? 0).to.be.within(40, 100);
  });

  it('is deterministic for the same draw', () => {
    const t = { a: 1, b: 1, c: 1 };
    const x = orderByScore(request({ random: 0.123 }), scored(t), 10).map((s) => s.endpoint.id);
    expect(orderByScore(request({ random: 0.123 }), scored(t), 10).map((s) => s.endpoint.id)).to.deep.equal(x);
  });
});
