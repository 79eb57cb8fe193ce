import { expect } from 'chai';
import { NATS_WAIT_DEFAULT_S, NATS_WAIT_WITH_SECRETS_S, natsWaitSecondsOf } from './controller.js';

describe('mi controller --nats-wait', () => {
  it('defaults to 120 s when the controller makes NATS Secrets, 15 s otherwise', () => {
    expect(natsWaitSecondsOf(undefined, true)).to.equal(NATS_WAIT_WITH_SECRETS_S).and.equal(120);
    expect(natsWaitSecondsOf(undefined, false)).to.equal(NATS_WAIT_DEFAULT_S).and.equal(15);
  });

  it('takes a given number of seconds as it is, whatever the mode', () => {
    expect(natsWaitSecondsOf('0', true)).to.equal(0);
    expect(natsWaitSecondsOf('300', false)).to.equal(300);
    expect(natsWaitSecondsOf('2.5', false)).to.equal(2.5);
  });

  for (const bad of ['', ' ', 'abc', '-1', '3601', 'NaN', 'Infinity']) {
    it(`refuses --nats-wait ${JSON.stringify(bad)} naming the flag`, () => {
      expect(() => natsWaitSecondsOf(bad, false)).to.throw(/--nats-wait must be a number of seconds between 0 and 3600/);
    });
  }
});
