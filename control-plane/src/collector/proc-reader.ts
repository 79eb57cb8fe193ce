// Thin /proc edge of the resource signals. A membership scan (stat of every process) finds the
// members of the wanted process groups; between scans only the known members are read (stat and
// status), so a machine with thousands of processes costs one full pass per `rescanMs`, not
// per scrape cycle. The math is in proc.ts. Linux only: elsewhere listing /proc fails with
// ProcUnavailableError. procResourceSource is the collector's default ResourceSource.
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProcUnavailableError } from './errors.js';
import { groupSnapshot, isLoopbackAddress, parseProcStat, parseStatusRssBytes, parseUptimeSeconds, resourceUsage, type GroupSnapshot, type ProcStat, type ResourceUsage } from './proc.js';
import type { ResourceSource, ResourceTarget } from './resources.js';

/** Clock ticks per second for /proc CPU times: `getconf CLK_TCK`, 100 (the Linux value) when that fails. */
export function readClockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

interface Member {
  stat: ProcStat;
  rssBytes: number;
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null; // the process exited between listing and reading
  }
}

// stat of `pid`, and its status when it belongs to one of `leaders`.
async function readMember(procRoot: string, pid: string, leaders: ReadonlySet<number>): Promise<Member | null> {
  const text = await readOrNull(join(procRoot, pid, 'stat'));
  const stat = text === null ? null : parseProcStat(text);
  if (stat === null || !leaders.has(stat.pgrp)) return null;
  const status = await readOrNull(join(procRoot, pid, 'status'));
  return { stat, rssBytes: status === null ? 0 : parseStatusRssBytes(status) };
}

async function listPids(procRoot: string): Promise<string[]> {
  try {
    return (await readdir(procRoot)).filter((n) => /^\d+$/.test(n));
  } catch (err) {
    throw new ProcUnavailableError(`cannot list ${procRoot}: ${(err as Error).message}`, { cause: err });
  }
}

async function readGroups(procRoot: string, pids: readonly string[], leaders: ReadonlySet<number>, timeMs: number): Promise<Map<number, GroupSnapshot>> {
  const [uptime, members] = await Promise.all([readOrNull(join(procRoot, 'uptime')), Promise.all(pids.map((p) => readMember(procRoot, p, leaders)))]);
  const uptimeS = uptime === null ? NaN : parseUptimeSeconds(uptime);
  const byLeader = new Map<number, Member[]>();
  for (const m of members) if (m !== null) byLeader.set(m.stat.pgrp, [...(byLeader.get(m.stat.pgrp) ?? []), m]);
  const out = new Map<number, GroupSnapshot>();
  for (const leader of leaders) {
    const snap = groupSnapshot(leader, byLeader.get(leader) ?? [], timeMs, uptimeS);
    if (snap !== null) out.set(leader, snap);
  }
  return out;
}

/** Snapshots (at `timeMs`) of the process groups led by `leaders` from a full pass over /proc, leaders not found left out; ProcUnavailableError when `procRoot` cannot be listed. */
export async function readProcessGroups(leaders: ReadonlySet<number>, timeMs: number, procRoot = '/proc'): Promise<Map<number, GroupSnapshot>> {
  if (leaders.size === 0) return new Map();
  return readGroups(procRoot, await listPids(procRoot), leaders, timeMs);
}

export interface ProcResourceSourceOptions {
  procRoot?: string;
  clockTicks?: number;
  /** Full membership scan at most this often, and whenever a new leader appears (default 10 s); between scans a new worker process is found late and counts from then on. */
  rescanMs?: number;
}

/**
 * The local ResourceSource: process groups of targets with a pid and a loopback address (only
 * then is the pid one of this machine's processes: a remote actuator's pid would name some
 * unrelated local process). CPU rates are against the previous read of the same pid.
 */
export function procResourceSource(opts: ProcResourceSourceOptions = {}): ResourceSource {
  const procRoot = opts.procRoot ?? '/proc';
  const clkTck = opts.clockTicks ?? readClockTicks();
  const rescanMs = opts.rescanMs ?? 10_000;
  const last = new Map<string, { pid: number; snap: GroupSnapshot }>();
  let scannedAtMs = -Infinity;
  let scannedLeaders = new Set<number>();
  return {
    name: 'proc',
    async read(targets: readonly ResourceTarget[], nowMs: number): Promise<Map<string, ResourceUsage>> {
      const local = targets.filter((t): t is ResourceTarget & { pid: number } => t.pid !== undefined && isLoopbackAddress(t.address));
      const live = new Set(local.map((t) => t.key));
      for (const k of last.keys()) if (!live.has(k)) last.delete(k);
      const out = new Map<string, ResourceUsage>();
      if (local.length === 0) return out;
      const leaders = new Set(local.map((t) => t.pid));
      let groups: Map<number, GroupSnapshot>;
      if (nowMs - scannedAtMs >= rescanMs || [...leaders].some((l) => !scannedLeaders.has(l))) {
        groups = await readProcessGroups(leaders, nowMs, procRoot);
        scannedAtMs = nowMs;
        scannedLeaders = leaders;
      } else {
        // Only the members the last read saw (gone ones drop out, their pgrp no longer matches or their stat is gone).
        const known = new Set<string>();
        for (const t of local) for (const key of last.get(t.key)?.snap.members.keys() ?? []) known.add(key.slice(0, key.indexOf(':')));
        for (const l of leaders) known.add(String(l));
        groups = await readGroups(procRoot, [...known], leaders, nowMs);
      }
      for (const t of local) {
        const snap = groups.get(t.pid);
        if (snap === undefined) continue;
        const prev = last.get(t.key);
        out.set(t.key, resourceUsage(prev?.pid === t.pid ? prev.snap : undefined, snap, clkTck));
        last.set(t.key, { pid: t.pid, snap });
      }
      return out;
    },
  };
}
