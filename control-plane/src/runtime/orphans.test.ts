// Orphans of a killed `mi up`: stopped when their command line still matches, left alone otherwise.
import { expect } from 'chai';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnChild, type ManagedChild } from './child.js';
import { reapOrphans, recordPids } from './orphans.js';

describe('runtime orphans', () => {
  let dir: string;
  let child: ManagedChild | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mi-orphans-'));
  });
  after(async () => {
    await child?.stop(500);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops a recorded child whose command line matches; leaves a reused pid alone', async () => {
    child = await spawnChild({ name: 'sleeper', command: 'sleep', args: ['30'], logFile: join(dir, 'sleeper.log') });
    const file = join(dir, 'children.pids');
    recordPids(file, [
      { pid: child.pid, marker: 'sleep' },
      // This test process: its command line does not contain the marker, so it must survive.
      { pid: process.pid, marker: 'not-this-process' },
    ]);
    const stopped = await reapOrphans(file, 2000);
    expect(stopped).to.deep.equal([child.pid]);
    const exit = await child.exited;
    expect(exit.signal).to.equal('SIGTERM');
    expect(existsSync(file)).to.equal(false);
  });

  it('does nothing when there is no record', async () => {
    expect(await reapOrphans(join(dir, 'missing.pids'))).to.deep.equal([]);
  });
});
