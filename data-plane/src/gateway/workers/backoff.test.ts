import { expect } from 'chai';
import { recentDeaths, restartDelayMs } from './backoff.js';

describe('gateway worker restart backoff', () => {
  it('re-forks at once after a first death, then doubles from 100 ms up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5].map((d) => restartDelayMs(d))).to.deep.equal([0, 0, 100, 200, 400, 800]);
    expect(restartDelayMs(12)).to.equal(10_000);
    expect(restartDelayMs(4, 250)).to.equal(250);
  });

  it('counts only deaths inside the window, so a worker that ran fine restarts at once again', () => {
    expect(recentDeaths([1_000, 20_000, 40_000], 45_000)).to.deep.equal([20_000, 40_000]);
    expect(recentDeaths([1_000, 2_000], 100_000)).to.deep.equal([]);
    expect(recentDeaths([1_000, 2_000], 2_500, 1_000)).to.deep.equal([2_000]);
  });
});
