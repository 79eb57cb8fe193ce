import { expect } from 'chai';
import { endpoint as ep, request } from '../../testing.js';
import { createRoundRobin, roundRobinScores } from './index.js';

describe('round-robin scorer', () => {
  const cases = [
    { name: 'turn 0 favours the first id', eps: [ep('b'), ep('a'), ep('c')], turn: 0, want: [2 / 3, 1, 1 / 3] },
    { name: 'turn 1 moves one step', eps: [ep('b'), ep('a'), ep('c')], turn: 1, want: [1, 1 / 3, 2 / 3] },
    { name: 'turn wraps around', eps: [ep('a'), ep('b')], turn: 5, want: [0.5, 1] },
    { name: 'single endpoint', eps: [ep('a')], turn: 7, want: [1] },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const got = roundRobinScores(tc.eps, tc.turn);
      got.forEach((g, i) => expect(g).to.be.closeTo(tc.want[i], 1e-9));
    });
  }

  it('rotates one endpoint per request', () => {
    const rr = createRoundRobin();
    const eps = [ep('a'), ep('b'), ep('c')];
    const winners = Array.from({ length: 6 }, () => {
      const s = rr.score(request(), eps);
      return eps[s.indexOf(1)].id;
    });
    expect(winners).to.deep.equal(['a', 'b', 'c', 'a', 'b', 'c']);
  });
});
