import { expect } from 'chai';
import { IdleWatch, type IdleWatched } from './idle-watch.js';

function watched(limit: number, log: string[], name: string): IdleWatched {
  return { idleLimitMs: limit, lastByteMs: 0, idleSlot: -1, onIdle: () => log.push(name) };
}

describe('gateway/idle-watch', () => {
  it('ends an attempt silent for its limit, once, and not one that keeps sending', () => {
    let now = 1000;
    const w = new IdleWatch(() => now, 0);
    const log: string[] = [];
    const quiet = watched(500, log, 'quiet');
    const busy = watched(500, log, 'busy');
    w.add(quiet);
    w.add(busy);
    for (now = 1100; now <= 2000; now += 100) {
      w.sweep(now);
      busy.lastByteMs = w.nowMs;
    }
    expect(log).to.deep.equal(['quiet']);
    expect(w.size).to.equal(1);
    w.remove(busy);
    w.sweep(10_000);
    expect(log).to.deep.equal(['quiet']);
  });

  it('removes from the middle, ignores a double add or remove', () => {
    const w = new IdleWatch(() => 0, 0);
    const log: string[] = [];
    const xs = ['a', 'b', 'c', 'd'].map((n) => watched(100, log, n));
    for (const x of xs) w.add(x);
    w.add(xs[0]);
    expect(w.size).to.equal(4);
    w.remove(xs[1]);
    w.remove(xs[1]);
    expect(w.size).to.equal(3);
    xs[3].lastByteMs = 50;
    w.sweep(120);
    expect(log.sort()).to.deep.equal(['a', 'c']);
    expect(w.size).to.equal(1);
    expect(xs.map((x) => x.idleSlot)).to.deep.equal([-1, -1, -1, 0]);
  });

  it('counts silence from add, on the coarse clock of the last sweep', () => {
    const now = 0;
    const w = new IdleWatch(() => now, 0);
    const log: string[] = [];
    w.sweep(5000);
    const x = watched(1000, log, 'x');
    w.add(x);
    expect(x.lastByteMs).to.equal(5000);
    w.sweep(5900);
    expect(log).to.deep.equal([]);
    w.sweep(6000);
    expect(log).to.deep.equal(['x']);
    w.close();
  });
});
