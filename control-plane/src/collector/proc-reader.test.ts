// The /proc reader against real child processes: a group leader that idles and a worker it
// spawned that spins, so the group's CPU can only be right if the worker is counted.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { procResourceSource, readClockTicks, readProcessGroups } from './proc-reader.js';
import { resourceUsage } from './proc.js';

const LEADER = `
const { spawn } = require('node:child_process');
const w = spawn(process.execPath, ['-e', 'const b = Buffer.alloc(64 * 1024 * 1024, 1); for (;;) { b[0]++; }'], { stdio: 'ignore' });
process.stdout.write(String(w.pid) + '\\n');
setInterval(() => {}, 1000);
`;

/** utime + stime of one process in seconds, read straight from /proc (CLK_TCK 100). */
function workerCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe('collector/proc-reader (real child processes)', function () {
  this.timeout(20_000);
  if (process.platform !== 'linux') return;
  let leader: ChildProcess | undefined;

  afterEach(async () => {
    if (leader?.pid !== undefined && leader.exitCode === null) {
      const gone = once(leader, 'exit');
      process.kill(-leader.pid, 'SIGKILL');
      await gone;
    }
    leader = undefined;
  });

  it('CLK_TCK comes from getconf (100 on Linux)', () => {
    expect(readClockTicks()).to.equal(100);
  });

  it("a group's CPU and memory include its worker processes", async () => {
    leader = spawn(process.execPath, ['-e', LEADER], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const [line] = (await once(leader.stdout!, 'data')) as [Buffer];
    const workerPid = Number(line.toString().trim());
    expect(workerPid).to.be.greaterThan(0);
    const leaders = new Set([leader.pid!]);
    const t0 = Date.now();
    const a = (await readProcessGroups(leaders, t0)).get(leader.pid!);
    expect(a, 'the leader is found').to.not.equal(undefined);
    await new Promise((r) => setTimeout(r, 600));
    const b = (await readProcessGroups(leaders, Date.now())).get(leader.pid!)!;
    expect([...b.members.keys()].map((k) => Number(k.split(':')[0])).sort()).to.deep.equal([leader.pid!, workerPid].sort());
    const u = resourceUsage(a, b, readClockTicks());
    // The worker spins (the idle leader alone would read ~0). Bounds hold on a loaded machine
    // too, where the spinner may get only a share of a core.
    expect(u.cpuCores).to.be.within(0.05, 1.5);
    // It holds a 64 MiB buffer it writes to; two node processes hold more than that.
    expect(u.memoryBytes).to.be.greaterThan(64 * 1024 * 1024);
  });

  it('procResourceSource: loopback targets with a pid only; a rate from the second read on', async () => {
    leader = spawn(process.execPath, ['-e', LEADER], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    await once(leader.stdout!, 'data');
    const pid = leader.pid!;
    const src = procResourceSource();
    const targets = [
      { key: 'ns/local', namespace: 'ns', instance: 'local', address: 'http://127.0.0.1:9', pid },
      { key: 'ns/remote', namespace: 'ns', instance: 'remote', address: 'http://10.1.2.3:9', pid },
      { key: 'ns/nopid', namespace: 'ns', instance: 'nopid', address: 'http://127.0.0.1:9' },
    ];
    const first = await src.read(targets, Date.now());
    expect([...first.keys()]).to.deep.equal(['ns/local']);
    expect(first.get('ns/local')).to.not.have.property('cpuCores');
    await new Promise((r) => setTimeout(r, 300));
    const second = await src.read(targets, Date.now());
    expect(second.get('ns/local')!.cpuCores).to.be.greaterThan(0.05);
  });

  it('procResourceSource between membership scans: a worker found late counts from then on, never as a spike', async () => {
    // The leader starts its spinning worker 400 ms after it says it is up, and then names it.
    const late = LEADER.replace("const w = spawn(", "setTimeout(() => { const w = spawn(").replace("process.stdout.write(String(w.pid) + '\\n');", "process.stdout.write('w' + w.pid + '\\n'); }, 400);\nprocess.stdout.write('up\\n');");
    leader = spawn(process.execPath, ['-e', late], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    leader.stdout!.on('data', (b: Buffer) => void (out += b.toString()));
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    while (!out.includes('up')) await sleep(10);
    const src = procResourceSource({ rescanMs: 1500 });
    const targets = [{ key: 'ns/a', namespace: 'ns', instance: 'a', address: 'http://127.0.0.1:9', pid: leader.pid! }];
    await src.read(targets, Date.now()); // a new leader: full scan
    await sleep(700);
    // Known members only: the worker (running for ~300 ms) is not among them yet.
    expect((await src.read(targets, Date.now())).get('ns/a')!.cpuCores).to.be.below(0.3);
    const before = Date.now();
    await sleep(900);
    // Rescan: the worker is found, but it started before the previous read: the CPU it used so
    // far is not this interval's. Counted, it would read its whole CPU time over the interval;
    // the check is relative to that, so a loaded machine (a slower spinner) changes nothing.
    const rescan = (await src.read(targets, Date.now())).get('ns/a')!.cpuCores!;
    const workerPid = Number(/w(\d+)/.exec(out)![1]);
    const spike = workerCpuSeconds(workerPid) / ((Date.now() - before) / 1000);
    expect(spike, 'the worker has run').to.be.greaterThan(0.02);
    expect(rescan).to.be.below(spike / 2);
    await sleep(500);
    expect((await src.read(targets, Date.now())).get('ns/a')!.cpuCores).to.be.within(0.02, 1.5);
  });

  it('a pid no process has is left out; a /proc that cannot be listed is a coded error', async () => {
    expect((await readProcessGroups(new Set([2 ** 22 + 7]), Date.now())).size).to.equal(0);
    const dir = mkdtempSync(join(tmpdir(), 'proc-'));
    rmSync(dir, { recursive: true });
    let caught: unknown;
    try {
      await readProcessGroups(new Set([1]), 0, dir);
    } catch (err) {
      caught = err;
    }
    expect((caught as { code?: string }).code).to.equal('MI_ERR_COLLECTOR_PROC_UNAVAILABLE');
  });
});
