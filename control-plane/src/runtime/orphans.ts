// Children left behind by a `mi up` that was killed outright (SIGKILL, power loss of the
// terminal): their pids are recorded in the data dir, and the next `mi up` (which holds the
// data-dir lock, so no live `mi up` owns them) stops them before starting its own.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { processRunning, signalGroup } from '../actuator/process.js';
import { pollUntil } from './ports.js';

function cmdline(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return null;
  }
}

/** A child to find again: its pid and a word its command line contains (`nats-server`, `mi-gateway`). */
export interface ChildRecord {
  pid: number;
  marker: string;
}

/** Records running children, one `<pid> <marker>` per line. */
export function recordPids(file: string, children: ChildRecord[]): void {
  writeFileSync(file, children.map((c) => `${c.pid} ${c.marker}\n`).join(''));
}

/**
 * Stops every process listed in `file` whose command line still contains its marker (so a pid
 * reused by an unrelated process is left alone); returns the pids it stopped. Removes the file.
 */
export async function reapOrphans(file: string, graceMs = 3000): Promise<number[]> {
  let records: ChildRecord[];
  try {
    records = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [pid, ...rest] = l.split(' ');
        return { pid: Number(pid), marker: rest.join(' ') };
      })
      .filter((r) => Number.isInteger(r.pid) && r.pid > 1 && r.marker !== '');
  } catch {
    return [];
  }
  const ours = records.filter((r) => processRunning(r.pid) && cmdline(r.pid)?.includes(r.marker)).map((r) => r.pid);
  // Children were started as process-group leaders: stop each whole group.
  for (const pid of ours) signalGroup(pid, 'SIGTERM');
  const gone = () => Promise.resolve(!ours.some(processRunning));
  if (!(await pollUntil(gone, Date.now() + graceMs, 50))) {
    for (const pid of ours) signalGroup(pid, 'SIGKILL');
    await pollUntil(gone, Date.now() + graceMs, 50);
  }
  rmSync(file, { force: true });
  return ours;
}
