import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnChild, type ManagedChild } from './child.js';
import { DEFAULT_RESTART_POLICY, restartDecision, superviseChild } from './supervise.js';

describe('restartDecision (pure)', () => {
  const p = { baseMs: 100, capMs: 1000, maxDeaths: 4, windowMs: 10_000 };
  it('doubles the wait per death within the window, up to the cap', () => {
    expect(restartDecision([0], 0, p)).to.deep.equal({ restartInMs: 100 });
    expect(restartDecision([0, 1], 1, p)).to.deep.equal({ restartInMs: 200 });
    expect(restartDecision([0, 1, 2], 2, p)).to.deep.equal({ restartInMs: 400 });
    expect(restartDecision([0, 1, 2], 2, { ...p, capMs: 300 })).to.deep.equal({ restartInMs: 300 });
  });
  it('gives up at maxDeaths within the window; deaths older than it no longer count', () => {
    expect(restartDecision([0, 1, 2, 3], 3, p)).to.deep.equal({ giveUp: 'exited 4 times within 10 s' });
    expect(restartDecision([0, 1, 2, 20_000], 20_000, p)).to.deep.equal({ restartInMs: 100 });
  });
  it('defaults: half a second first, a crash loop is 6 deaths in 2 minutes', () => {
    expect(restartDecision([5], 5)).to.deep.equal({ restartInMs: DEFAULT_RESTART_POLICY.baseMs });
    expect('giveUp' in restartDecision([1, 2, 3, 4, 5, 6], 6)).to.equal(true);
  });
});

describe('superviseChild (real child processes)', function () {
  this.timeout(20_000);
  let dir: string;
  const started: ManagedChild[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mi-supervise-'));
  });
  after(async () => {
    for (const c of started) await c.stop(500);
    rmSync(dir, { recursive: true, force: true });
  });
  const spawn = async (script: string) => {
    const c = await spawnChild({ name: 'kid', command: process.execPath, args: ['-e', script], logFile: join(dir, 'kid.log') });
    started.push(c);
    return c;
  };
  const until = async (cond: () => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('not in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('restarts a killed child and follows the new one; a stop is not a death', async () => {
    let stopping = false;
    const events: string[] = [];
    const first = await spawn('setInterval(() => {}, 1000)');
    const sup = superviseChild({
      name: 'kid',
      first,
      start: () => spawn('setInterval(() => {}, 1000)'),
      stopping: () => stopping,
      onExit: (why, next) => events.push(`exit ${why} ${JSON.stringify(next)}`),
      onRestart: (c, why, n) => events.push(`restart ${n} ${c.pid !== first.pid}`),
      onGiveUp: (why) => events.push(`give up ${why}`),
      policy: { baseMs: 10, capMs: 50, maxDeaths: 5, windowMs: 60_000 },
    });
    process.kill(first.pid, 'SIGKILL');
    await until(() => sup.restarts() === 1);
    expect(sup.current().pid).to.not.equal(first.pid);
    expect(sup.current().running()).to.equal(true);
    expect(events).to.deep.equal(['exit SIGKILL {"restartInMs":10}', 'restart 1 true']);
    stopping = true;
    await sup.idle();
    await sup.current().stop(500);
    // Absence of a restart can only be seen by waiting past the 10 ms backoff it would take.
    await new Promise((r) => setTimeout(r, 100));
    expect(sup.restarts()).to.equal(1);
    expect(events).to.have.length(2);
  });

  it('gives up on a crash loop, saying why, and leaves nothing running', async () => {
    const events: string[] = [];
    const crash = 'process.exit(3)';
    const sup = superviseChild({
      name: 'crasher',
      first: await spawn(crash),
      start: () => spawn(crash),
      stopping: () => false,
      onRestart: () => events.push('restart'),
      onGiveUp: (why) => events.push(`give up: ${why}`),
      policy: { baseMs: 5, capMs: 20, maxDeaths: 3, windowMs: 60_000 },
    });
    await until(() => events.some((e) => e.startsWith('give up')));
    expect(events).to.deep.equal(['restart', 'restart', 'give up: code 3; exited 3 times within 60 s']);
    expect(sup.current().running()).to.equal(false);
    expect(readFileSync(join(dir, 'kid.log'), 'utf8')).to.include('mi up starts kid');
  });

  it('a failed restart counts as a death and is retried', async () => {
    let attempts = 0;
    const errors: string[] = [];
    let stopping = false;
    const first = await spawn('process.exit(1)');
    const sup = superviseChild({
      name: 'flaky',
      first,
      start: async () => {
        attempts++;
        if (attempts < 3) throw new Error(`port busy ${attempts}`);
        return spawn('setInterval(() => {}, 1000)');
      },
      stopping: () => stopping,
      onRestart: () => undefined,
      onGiveUp: (why) => errors.push(`give up ${why}`),
      onStartError: (err) => errors.push(err.message),
      policy: { baseMs: 5, capMs: 20, maxDeaths: 5, windowMs: 60_000 },
    });
    await until(() => sup.restarts() === 1);
    expect(errors).to.deep.equal(['port busy 1', 'port busy 2']);
    expect(sup.current().running()).to.equal(true);
    // Stopped as mi up stops it: no restart after this (a restart here would outlive the test).
    stopping = true;
    await sup.idle();
    await sup.current().stop(500);
    // Absence of a restart can only be seen by waiting past the 10 ms backoff it would take.
    await new Promise((r) => setTimeout(r, 100));
    expect(sup.restarts()).to.equal(1);
    expect(attempts).to.equal(3);
  });
});
