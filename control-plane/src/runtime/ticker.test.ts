import { expect } from 'chai';
import { startAlignedTicker } from './ticker.js';

describe('aligned ticker', () => {
  it('keeps ticking on its own, runs ticks one at a time, reports failures and stops', async () => {
    const starts: number[] = [];
    let inside = 0;
    let overlapped = false;
    const errors: unknown[] = [];
    const t = startAlignedTicker({
      tickMs: 50,
      now: Date.now,
      onTick: async () => {
        overlapped ||= inside > 0;
        inside++;
        starts.push(Date.now());
        await new Promise((r) => setTimeout(r, 5));
        inside--;
        if (starts.length === 3) throw new Error('boom');
      },
      onError: (e) => void errors.push(e),
    });
    await Promise.all([t.tick(), t.tick()]);
    await new Promise((r) => setTimeout(r, 400));
    await t.stop();
    const n = starts.length;
    await new Promise((r) => setTimeout(r, 120));
    expect(starts.length, 'no tick after stop').to.equal(n);
    expect(overlapped).to.equal(false);
    expect(n, 'scheduled ticks ran after the two called').to.be.at.least(3);
    expect(errors.map((e) => (e as Error).message)).to.deep.equal(['boom']);
  });
});
