// CPU and memory of a local replica, from Linux /proc text. Pure: file contents and times in,
// numbers out (proc-reader.ts reads the files). A replica is the process group the local
// actuator started (each instance leads its own group, so an engine's worker processes count
// too): CPU = utime + stime of every member, as a rate between two snapshots; memory = the sum
// of the members' VmRSS.

/** The fields of /proc/<pid>/stat we use. */
export interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Start time after boot, in clock ticks (with pid, the identity of a process: pids are reused). */
  startTicks: number;
}

/** One process group at one time. */
export interface GroupSnapshot {
  timeMs: number;
  /** Seconds since boot when taken (/proc/uptime): tells a member started since from one found late. */
  uptimeS: number;
  /** startTicks of the leader: a different value is another process that reused the pid. */
  leaderStartTicks: number;
  /** `<pid>:<startTicks>` -> CPU and start ticks of each member. */
  members: Map<string, { cpuTicks: number; startTicks: number }>;
  rssBytes: number;
}

/** What a replica used: cores since the previous snapshot (absent on the first) and resident bytes. */
export interface ResourceUsage {
  cpuCores?: number;
  memoryBytes: number;
}

/** Parses /proc/<pid>/stat; null when malformed. The command name may hold spaces and ')'. */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // After ")": state(3) ppid(4) pgrp(5) session(6) tty(7) tpgid(8) flags(9) minflt(10) cminflt(11)
  // majflt(12) cmajflt(13) utime(14) stime(15) cutime(16) cstime(17) priority(18) nice(19)
  // num_threads(20) itrealvalue(21) starttime(22): field n is at index n - 3.
  const f = text.slice(close + 1).trim().split(/\s+/);
  if (f.length < 20) return null;
  const [ppid, pgrp, utime, stime, start] = [f[1], f[2], f[11], f[12], f[19]].map(Number);
  if (![pid, ppid, pgrp, utime, stime, start].every(Number.isSafeInteger)) return null;
  return { pid, ppid, pgrp, cpuTicks: utime + stime, startTicks: start };
}

/** VmRSS of /proc/<pid>/status in bytes; 0 when absent (kernel threads, zombies). */
export function parseStatusRssBytes(text: string): number {
  const m = /^VmRSS:\s+(\d+)\s*kB\s*$/m.exec(text);
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** Seconds since boot from /proc/uptime; NaN when malformed. */
export function parseUptimeSeconds(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s/.exec(text);
  return m === null ? NaN : Number(m[1]);
}

/** Snapshot of the group led by `leader` from its members' stat and status; null when `leader` is not among them or does not lead its group. */
export function groupSnapshot(leader: number, members: readonly { stat: ProcStat; rssBytes: number }[], timeMs: number, uptimeS: number): GroupSnapshot | null {
  const head = members.find((m) => m.stat.pid === leader);
  // A pid that does not lead its own group is not the process the actuator started (reused pid).
  if (head === undefined || head.stat.pgrp !== leader) return null;
  const snap: GroupSnapshot = { timeMs, uptimeS, leaderStartTicks: head.stat.startTicks, members: new Map(), rssBytes: 0 };
  for (const m of members) {
    if (m.stat.pgrp !== leader) continue;
    snap.members.set(`${m.stat.pid}:${m.stat.startTicks}`, { cpuTicks: m.stat.cpuTicks, startTicks: m.stat.startTicks });
    snap.rssBytes += m.rssBytes;
  }
  return snap;
}

/**
 * Usage at `cur`; cpuCores only against `prev` of the same leader process. A member absent from
 * `prev` counts with all its CPU time when it started after `prev` was taken (its whole life is
 * in the interval), else with none (found late, e.g. between membership scans: its CPU so far
 * is not this interval's); a member gone since loses its last partial interval.
 */
export function resourceUsage(prev: GroupSnapshot | undefined, cur: GroupSnapshot, clkTck: number): ResourceUsage {
  const out: ResourceUsage = { memoryBytes: cur.rssBytes };
  if (prev === undefined || prev.leaderStartTicks !== cur.leaderStartTicks || !(clkTck > 0)) return out;
  const dtS = (cur.timeMs - prev.timeMs) / 1000;
  if (!(dtS > 0)) return out;
  let ticks = 0;
  for (const [key, m] of cur.members) {
    const before = prev.members.get(key);
    if (before !== undefined) ticks += Math.max(0, m.cpuTicks - before.cpuTicks);
    else if (!(m.startTicks / clkTck < prev.uptimeS)) ticks += m.cpuTicks;
  }
  out.cpuCores = ticks / clkTck / dtS;
  return out;
}

/** True when `address` (a URL) points at this machine's loopback, where a pid in an observation is one of our processes. */
export function isLoopbackAddress(address: string): boolean {
  let host: string;
  try {
    host = new URL(address).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
