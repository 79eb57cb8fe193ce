import { expect } from 'chai';
import { groupSnapshot, isLoopbackAddress, parseProcStat, parseStatusRssBytes, parseUptimeSeconds, resourceUsage, type GroupSnapshot, type ProcStat } from './proc.js';

// A real line (cat), and the same shape with a command name holding spaces and parentheses.
const CAT = '15082 (cat) R 15080 15080 8105 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 1 0 2190779 3133440 382 18446744073709551615 94897359749120 0';
const ODD = '4242 (vllm (engine) core) S 1 4200 4200 0 -1 4194560 5000 0 0 0 1500 250 9 9 20 0 12 0 99999 8000000000 200000 18446744073709551615 1 0';

describe('collector/proc (pure)', () => {
  const stats: { name: string; text: string; want: ProcStat | null }[] = [
    { name: 'plain', text: CAT, want: { pid: 15082, ppid: 15080, pgrp: 15080, cpuTicks: 10, startTicks: 2190779 } },
    { name: 'comm with spaces and parentheses', text: ODD, want: { pid: 4242, ppid: 1, pgrp: 4200, cpuTicks: 1750, startTicks: 99999 } },
    { name: 'truncated', text: '1 (init) S 0 1 1 0', want: null },
    { name: 'no comm', text: '1 init S 0 1 1', want: null },
    { name: 'not a number', text: CAT.replace(' 7 3 ', ' x 3 '), want: null },
  ];
  for (const tc of stats) it(`parseProcStat: ${tc.name}`, () => expect(parseProcStat(tc.text)).to.deep.equal(tc.want));

  it('parseUptimeSeconds: the first number of /proc/uptime', () => {
    expect(parseUptimeSeconds('21907.79 85012.44\n')).to.equal(21907.79);
    expect(Number.isNaN(parseUptimeSeconds('garbage'))).to.equal(true);
  });

  it('parseStatusRssBytes: VmRSS in kB -> bytes; absent -> 0', () => {
    expect(parseStatusRssBytes('Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t    2096 kB\nRssAnon:\t 1000 kB\n')).to.equal(2096 * 1024);
    expect(parseStatusRssBytes('Name:\tkthreadd\nState:\tS (sleeping)\n')).to.equal(0);
  });

  const st = (pid: number, pgrp: number, cpuTicks: number, startTicks = pid * 10): ProcStat => ({ pid, ppid: 1, pgrp, cpuTicks, startTicks });

  it('groupSnapshot sums the group members (leader and workers), nothing else', () => {
    const s = groupSnapshot(100, [
      { stat: st(100, 100, 50), rssBytes: 1000 },
      { stat: st(101, 100, 400), rssBytes: 5000 },
      { stat: st(300, 300, 999), rssBytes: 1 },
    ], 7, 12.5)!;
    expect(s.rssBytes).to.equal(6000);
    expect(s.uptimeS).to.equal(12.5);
    expect([...s.members]).to.deep.equal([['100:1000', { cpuTicks: 50, startTicks: 1000 }], ['101:1010', { cpuTicks: 400, startTicks: 1010 }]]);
    expect(s.leaderStartTicks).to.equal(1000);
  });

  it('groupSnapshot: a pid that does not lead its group, or is gone, is not ours', () => {
    expect(groupSnapshot(101, [{ stat: st(101, 100, 1), rssBytes: 1 }], 0, 0)).to.equal(null);
    expect(groupSnapshot(100, [], 0, 0)).to.equal(null);
  });

  // Members as [pid, startTicks, cpuTicks]; uptime = timeMs / 1000 + 100 s (boot 100 s before time 0).
  const snap = (timeMs: number, members: [number, number, number][], leaderStartTicks = 1, rssBytes = 64): GroupSnapshot => ({
    timeMs, uptimeS: timeMs / 1000 + 100, leaderStartTicks, rssBytes, members: new Map(members.map(([pid, startTicks, cpuTicks]) => [`${pid}:${startTicks}`, { cpuTicks, startTicks }])),
  });
  const usage: { name: string; prev: GroupSnapshot | undefined; cur: GroupSnapshot; want: { cpuCores?: number; memoryBytes: number } }[] = [
    { name: 'first snapshot: memory only', prev: undefined, cur: snap(1000, [[1, 1, 500]]), want: { memoryBytes: 64 } },
    // 150 ticks at 100/s over 0.5 s = 3 cores
    { name: 'two members over half a second', prev: snap(0, [[1, 1, 100], [2, 5, 100]]), cur: snap(500, [[1, 1, 150], [2, 5, 200]]), want: { cpuCores: 3, memoryBytes: 64 } },
    // Started at 100.2 s since boot, after the previous snapshot (100 s): its whole life is in the interval.
    { name: 'a worker started since counts with all its time', prev: snap(0, [[1, 1, 100]]), cur: snap(1000, [[1, 1, 100], [3, 10_020, 50]]), want: { cpuCores: 0.5, memoryBytes: 64 } },
    // Started at 50 s, before the previous snapshot, but not in it (found by a later membership scan): none of it.
    { name: 'a worker found late counts from the next interval', prev: snap(0, [[1, 1, 100]]), cur: snap(1000, [[1, 1, 150], [3, 5000, 4000]]), want: { cpuCores: 0.5, memoryBytes: 64 } },
    { name: 'a gone worker loses its partial interval, never a negative', prev: snap(0, [[1, 1, 100], [2, 5, 900]]), cur: snap(1000, [[1, 1, 200]]), want: { cpuCores: 1, memoryBytes: 64 } },
    { name: 'a reused pid (another leader start): no rate', prev: snap(0, [[1, 1, 100]], 1), cur: snap(1000, [[1, 2, 5]], 2), want: { memoryBytes: 64 } },
    { name: 'no time passed: no rate', prev: snap(1000, [[1, 1, 100]]), cur: snap(1000, [[1, 1, 150]]), want: { memoryBytes: 64 } },
  ];
  for (const tc of usage) it(`resourceUsage: ${tc.name}`, () => expect(resourceUsage(tc.prev, tc.cur, 100)).to.deep.equal(tc.want));

  const hosts: [string, boolean][] = [
    ['http://127.0.0.1:8000', true],
    ['http://127.3.4.5:1', true],
    ['http://localhost:8000', true],
    ['http://[::1]:8000', true],
    ['http://10.0.0.7:8000', false],
    ['http://engine-0.svc:8000', false],
    ['not a url', false],
  ];
  for (const [address, want] of hosts) it(`isLoopbackAddress(${address}) = ${want}`, () => expect(isLoopbackAddress(address)).to.equal(want));
});
