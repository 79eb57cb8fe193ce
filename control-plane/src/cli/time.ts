// Parses the time arguments of `mi events --since` and `mi replay --at`.
import { BadArgumentError } from '../api/errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/;
const CLOCK = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

/** `90s`, `5m`, `1h30m` → milliseconds; null when `s` is not a duration. */
export function parseDuration(s: string): number | null {
  let rest = s.trim();
  if (rest === '') return null;
  let total = 0;
  while (rest.length > 0) {
    const m = DURATION.exec(rest);
    if (!m) return null;
    total += Number(m[1]) * UNIT_MS[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}

/**
 * A point in time as epoch ms: a duration means that long before `nowMs`; `HH:MM[:SS]` is today
 * (local time of this machine); anything else must be a date `Date.parse` accepts (ISO 8601,
 * e.g. `2026-11-27T14:02:00Z`), or a number of epoch milliseconds.
 */
export function parseTimeArg(s: string, nowMs: number): number {
  const d = parseDuration(s);
  if (d !== null) return nowMs - d;
  const clock = CLOCK.exec(s.trim());
  if (clock) {
    const t = new Date(nowMs);
    t.setHours(Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0), 0);
    return t.getTime();
  }
  if (/^\d{10,}$/.test(s.trim())) return Number(s.trim());
  const parsed = Date.parse(s);
  if (Number.isNaN(parsed)) {
    throw new BadArgumentError(`cannot read "${s}" as a time: use a duration (10m, 1h30m), HH:MM[:SS] or an ISO time (2026-11-27T14:02:00Z)`);
  }
  return parsed;
}
