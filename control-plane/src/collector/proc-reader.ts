// Thin /proc edge of the resource signals: one pass over /proc per scrape cycle finds the
// members of the wanted process groups (stat), then reads their status for VmRSS. The math is
// in proc.ts. Linux only: elsewhere readdir fails with ProcUnavailableError. procResourceSource
// is the collector's default ResourceSource.
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProcUnavailableError } from './errors.js';
import { groupSnapshot, isLoopbackAddress, parseProcStat, parseStatusRssBytes, resourceUsage, type GroupSnapshot, type ProcStat, type ResourceUsage } from './proc.js';
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

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null; // the process exited between readdir and read
  }
}

/** Snapshots (at `timeMs`) of the process groups led by `leaders`, leaders not found left out; ProcUnavailableError when `procRoot` cannot be listed. */
export async function readProcessGroups(leaders: ReadonlySet<number>, timeMs: number, procRoot = '/proc'): Promise<Map<number, GroupSnapshot>> {
  const out = new Map<number, GroupSnapshot>();
  if (leaders.size === 0) return out;
  let names: string[];
  try {
    names = await readdir(procRoot);
  } catch (err) {
    throw new ProcUnavailableError(`cannot list ${procRoot}: ${(err as Error).message}`, { cause: err });
  }
  const members = new Map<number, { stat: ProcStat; rssBytes: number }[]>();
  await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n))
      .map(async (n) => {
        const text = await readOrNull(join(procRoot, n, 'stat'));
        const stat = text === null ? null : parseProcStat(text);
        if (stat === null || !leaders.has(stat.pgrp)) return;
        const status = await readOrNull(join(procRoot, n, 'status'));
        const list = members.get(stat.pgrp) ?? [];
        list.push({ stat, rssBytes: status === null ? 0 : parseStatusRssBytes(status) });
        members.set(stat.pgrp, list);
      }),
  );
  for (const leader of leaders) {
    const snap = groupSnapshot(leader, members.get(leader) ?? [], timeMs);
    if (snap !== null) out.set(leader, snap);
  }
  return out;
}

/**
 * The local ResourceSource: process groups of targets with a pid and a loopback address (only
 * then is the pid one of this machine's processes: a remote actuator's pid would name some
 * unrelated local process). CPU rates are against the previous read of the same pid.
 */
export function procResourceSource(opts: { procRoot?: string; clockTicks?: number } = {}): ResourceSource {
  const clkTck = opts.clockTicks ?? readClockTicks();
  const last = new Map<string, { pid: number; snap: GroupSnapshot }>();
  return {
    name: 'proc',
    async read(targets: readonly ResourceTarget[], nowMs: number): Promise<Map<string, ResourceUsage>> {
      const local = targets.filter((t): t is ResourceTarget & { pid: number } => t.pid !== undefined && isLoopbackAddress(t.address));
      const live = new Set(local.map((t) => t.key));
      for (const k of last.keys()) if (!live.has(k)) last.delete(k);
      const out = new Map<string, ResourceUsage>();
      if (local.length === 0) return out;
      const groups = await readProcessGroups(new Set(local.map((t) => t.pid)), nowMs, opts.procRoot);
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
