import { expect } from 'chai';
import { request } from '../../testing.js';
import { randomScores } from './index.js';

describe('random scorer', () => {
  const cases = [
    { name: 'no endpoints', n: 0 },
    { name: 'one endpoint', n: 1 },
    { name: 'four endpoints', n: 4 },
  ];
  for (const tc of cases) {
    it(`${tc.name}: one score in [0,1) each`, () => {
      const s = randomScores(request({ random: 0.42 }), tc.n);
      expect(s).to.have.length(tc.n);
      for (const x of s) expect(x).to.be.within(0, 1).and.to.be.lessThan(1);
    });
  }

  it('is reproducible for a draw and spreads wins across endpoints', () => {
    expect(randomScores(request({ random: 0.7 }), 3)).to.deep.equal(randomScores(request({ random: 0.7 }), 3));
    const wins = [0, 0, 0, 0];
    for (let i = 0; i < 400; i++) {
      const s = randomScores(request({ random: i / 400 }), 4);
      wins[s.indexOf(Math.max(...s))]++;
    }
    for (const w of wins) expect(w).to.be.within(60, 140);
  });
});
