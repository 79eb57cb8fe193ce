import { expect } from 'chai';
import { createSchedulerSync } from '../../scheduler.js';
import { endpoint as ep, fnvHasher, request } from '../../testing.js';
import { sessionAffinityScores } from './index.js';

const hasher = fnvHasher();
const ids = (n: number) => Array.from({ length: n }, (_, i) => ep(`ep-${i}`));
const winner = (key: string, eps: ReturnType<typeof ids>) => {
  const s = sessionAffinityScores(hasher, key, eps);
  return eps[s.indexOf(1)]?.id;
};

describe('session-affinity scorer', () => {
  const cases = [
    { name: 'no key: neutral zeros', key: '', n: 3, ones: 0 },
    { name: 'a key: exactly one endpoint scores 1', key: 'user-1', n: 3, ones: 1 },
    { name: 'no endpoints', key: 'user-1', n: 0, ones: 0 },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const s = sessionAffinityScores(hasher, tc.key, ids(tc.n));
      expect(s).to.have.length(tc.n);
      expect(s.filter((x) => x === 1)).to.have.length(tc.ones);
    });
  }

  it('same key, same endpoint, regardless of endpoint order', () => {
    const eps = ids(5);
    expect(winner('abc', eps)).to.equal(winner('abc', [...eps].reverse()));
  });

  it('removing an endpoint moves only the sessions it held', () => {
    const all = ids(5);
    const fewer = all.filter((e) => e.id !== 'ep-2');
    let moved = 0;
    for (let i = 0; i < 300; i++) {
      const before = winner(`s${i}`, all);
      const after = winner(`s${i}`, fewer);
      if (before !== 'ep-2') expect(after).to.equal(before);
      else moved++;
    }
    expect(moved).to.be.within(30, 100);
  });

  it('adding an endpoint moves about 1/n of sessions, all to the new one', () => {
    const four = ids(4);
    const five = ids(5);
    let moved = 0;
    for (let i = 0; i < 400; i++) {
      const a = winner(`k${i}`, four);
      const b = winner(`k${i}`, five);
      if (a !== b) {
        expect(b).to.equal('ep-4');
        moved++;
      }
    }
    expect(moved).to.be.within(40, 130);
  });

  it('reads the configured header (case-insensitive name)', () => {
    const s = createSchedulerSync(
      { scorers: [{ name: 'session-affinity', weight: 1, params: { header: 'X-Conversation' } }], picker: { name: 'max-score' } },
      { hasher },
    );
    const eps = ids(6);
    const picks = new Set<string | null>();
    for (let r = 0; r < 10; r++) picks.add(s.schedule(request({ random: r / 10, headers: { 'x-conversation': 'c-9' } }), eps).explain.picked);
    expect(picks.size).to.equal(1);
  });
});
