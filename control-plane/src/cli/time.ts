// Parses the time arguments of `mi events --since` and `mi replay --at`.
import { parseDurationMs } from '@matrixinfer/schemas';
import { BadArgumentError } from '../api/errors.js';

const CLOCK = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

/**
 * A point in time as epoch ms: a duration means that long before `nowMs`; `HH:MM[:SS]` is today
 * (local time of this machine); anything else must be a date `Date.parse` accepts (ISO 8601,
 * e.g. `2026-11-27T14:02:00Z`), or a number of epoch milliseconds.
 */
export function parseTimeArg(s: string, nowMs: number): number {
  const d = parseDurationMs(s.trim());
  if (d !== undefined) return nowMs - d;
  const clock = CLOCK.exec(s.trim());
  if (clock) {
    const t = new Date(nowMs);
    t.setHours(Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0), 0);
    return t.getTime();
  }
  if (/^\d{10,}$/.test(s.trim())) return Number(s.trim());
  const parsed = Date.parse(s);
  if (Number.isNaN(parsed)) {
    throw new BadArgumentError(`cannot read "${s}" as a time: use a duration (90s, 10m, 1h30m), HH:MM[:SS] or an ISO time (2026-11-27T14:02:00Z)`);
  }
  return parsed;
}
