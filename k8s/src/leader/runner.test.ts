import { expect } from 'chai';
import winston from 'winston';
import { startTestApiServer, type TestApiServer } from '../testing/apiserver/server.js';
import { leaseStep, observe } from './plan.js';
import { startLeaderElection, type LeaderElection } from './runner.js';

const logger = winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not met in time`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('leader election: plan', () => {
  it('creates a missing lease, renews its own, waits a whole duration of an unchanged record on its own clock, then takes over', () => {
    expect(leaseStep('a', null, undefined, 0, 1000)).to.deep.equal({ op: 'create' });
    expect(leaseStep('a', { holder: 'a', renewMs: 5 }, undefined, 0, 1000)).to.deep.equal({ op: 'renew' });
    expect(leaseStep('a', { holder: '', renewMs: 5 }, undefined, 0, 1000)).to.deep.equal({ op: 'takeover' });
    // The holder's renew time says "long ago" (skewed clock): not trusted, our observation counts.
    const rec = { holder: 'b', renewMs: 1 };
    let seen = observe(undefined, rec, 10_000);
    expect(leaseStep('a', rec, seen, 10_000, 1000)).to.deep.equal({ op: 'wait', holder: 'b', expiresInMs: 1000 });
    seen = observe(seen, rec, 10_600);
    expect(leaseStep('a', rec, seen, 10_600, 1000)).to.deep.equal({ op: 'wait', holder: 'b', expiresInMs: 400 });
    seen = observe(seen, rec, 11_000);
    expect(leaseStep('a', rec, seen, 11_000, 1000)).to.deep.equal({ op: 'takeover' });
    // A renewal restarts the clock.
    const renewed = { holder: 'b', renewMs: 2 };
    seen = observe(seen, renewed, 11_100);
    expect(leaseStep('a', renewed, seen, 11_100, 1000)).to.deep.equal({ op: 'wait', holder: 'b', expiresInMs: 1000 });
  });
});

describe('leader election on a coordination.k8s.io Lease (test API server)', function () {
  this.timeout(30_000);
  let api: TestApiServer;
  const running: LeaderElection[] = [];
  beforeEach(async () => {
    api = await startTestApiServer({ namespaces: ['default'] });
  });
  afterEach(async () => {
    for (const e of running.splice(0)) await e.stop({ release: false });
    await api.stop();
  });
  function candidate(identity: string, events: string[], leaseDurationMs = 800): LeaderElection {
    const e = startLeaderElection({
      kubeConfig: api.kubeConfig,
      namespace: 'default',
      identity,
      logger,
      leaseDurationMs,
      renewDeadlineMs: Math.min(500, leaseDurationMs / 2),
      retryPeriodMs: 100,
      onStartedLeading: () => void events.push(`${identity} leads`),
      onStoppedLeading: () => void events.push(`${identity} stopped`),
    });
    running.push(e);
    return e;
  }

  it('one leader at a time; a crashed leader is replaced after the lease duration, a stopped one at once', async () => {
    const events: string[] = [];
    const a = candidate('a', events);
    await until('a leads', () => a.isLeader());
    const b = candidate('b', events);
    await new Promise((r) => setTimeout(r, 1200)); // more than a lease duration: a keeps renewing
    expect(b.isLeader()).to.equal(false);
    expect(events).to.deep.equal(['a leads']);

    // a crashes (no release): b waits a whole lease duration from its last observed change.
    const t0 = Date.now();
    await a.stop({ release: false });
    await until('b leads', () => b.isLeader());
    expect(Date.now() - t0).to.be.at.least(700);
    const lease = (await api.core.list(api.registry.all().find((r) => r.plural === 'leases')!, 'default', {})).items[0] as { spec: { holderIdentity: string; leaseTransitions: number } };
    expect(lease.spec).to.include({ holderIdentity: 'b', leaseTransitions: 1 });

    // b stops cleanly (release): c, whose lease duration is 60 s, takes over at once; without
    // the release it could not lead before the 10 s of `until` run out.
    const c = candidate('c', events, 60_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(c.isLeader()).to.equal(false);
    await b.stop();
    await until('c leads', () => c.isLeader());
    // stop() is the caller's own decision: no onStoppedLeading for it.
    expect(events).to.deep.equal(['a leads', 'b leads', 'c leads']);
  });
});
