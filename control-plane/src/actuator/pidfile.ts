// The actuator's record of the processes it started (<dataDir>/actuator/pids.json), so that a
// restarted actuator can find and clean up the children a crashed predecessor left behind.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { processRunning, signalGroup } from './process.js';

/** One process the actuator started, with what is needed to report it stopped later. */
export interface PidRecord {
  pid: number;
  instance: string;
  namespace: string;
  modelInfer: string;
  revision: string;
  labels: Record<string, string>;
  incarnation?: number;
}

/** Reads the pid file; an absent or unreadable file is an empty list (nothing to clean). */
export function readPidFile(path: string): PidRecord[] {
  if (!existsSync(path)) return [];
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (!Array.isArray(v)) return [];
    return v.filter((r): r is PidRecord => typeof r === 'object' && r !== null && Number.isInteger(r.pid) && r.pid > 1 && typeof r.instance === 'string');
  } catch {
    return [];
  }
}

/** Replaces the pid file atomically (write a temp file, rename). */
export function writePidFile(path: string, records: readonly PidRecord[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(records, null, 1));
  renameSync(tmp, path);
}

/**
 * True when `pid` is still a process we started for `instance`: its environment holds
 * MI_INSTANCE=<instance> (or its command line names it). Guards against pid reuse: we never
 * signal a process that is not ours.
 */
export function isOurProcess(pid: number, instance: string): boolean {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
    if (environ.includes(`MI_INSTANCE=${instance}`)) return true;
  } catch {
    // not readable: fall back to the command line
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').some((a) => a.includes(instance));
  } catch {
    return false;
  }
}

/**
 * Kills the process groups of the records that are still ours (SIGTERM, then SIGKILL after
 * `graceMs`) and resolves with the records that were alive and killed.
 */
export async function killStale(records: readonly PidRecord[], graceMs: number): Promise<PidRecord[]> {
  const ours = records.filter((r) => processRunning(r.pid) && isOurProcess(r.pid, r.instance));
  for (const r of ours) signalGroup(r.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (ours.some((r) => processRunning(r.pid)) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  for (const r of ours) signalGroup(r.pid, 'SIGKILL');
  const hardDeadline = Date.now() + 2000;
  while (ours.some((r) => processRunning(r.pid)) && Date.now() < hardDeadline) await new Promise((res) => setTimeout(res, 20));
  return ours;
}
