// Pure core of leader election on a coordination.k8s.io Lease, as client-go does it: the
// holder renews the lease; a standby takes it over once the record it sees (holder and renew
// time) has not changed for a whole lease duration on its own clock, so clock skew between
// nodes never shortens a lease. No I/O.

/** The part of a Lease the election reads. */
export interface LeaseRecord {
  holder?: string;
  /** Renew time in epoch ms (undefined when never renewed). */
  renewMs?: number;
}

/** A record as this candidate first saw it, with its own clock's time. */
export interface ObservedRecord extends LeaseRecord {
  atMs: number;
}

/** What a candidate does next. */
export type LeaseStep = { op: 'create' } | { op: 'renew' } | { op: 'takeover' } | { op: 'wait'; holder: string; expiresInMs: number };

/** The observation after reading `record` at `nowMs`: unchanged records keep their first-seen time. */
export function observe(prev: ObservedRecord | undefined, record: LeaseRecord | null, nowMs: number): ObservedRecord | undefined {
  if (record === null) return undefined;
  if (prev !== undefined && prev.holder === record.holder && prev.renewMs === record.renewMs) return prev;
  return { holder: record.holder, renewMs: record.renewMs, atMs: nowMs };
}

/** The step for candidate `me` given the lease (null: none yet) and what it observed. */
export function leaseStep(me: string, record: LeaseRecord | null, seen: ObservedRecord | undefined, nowMs: number, durationMs: number): LeaseStep {
  if (record === null) return { op: 'create' };
  if (record.holder === me) return { op: 'renew' };
  // Released (empty holder) by a leader that stopped cleanly.
  if (record.holder === undefined || record.holder === '') return { op: 'takeover' };
  const since = seen?.atMs ?? nowMs;
  const expiresInMs = since + durationMs - nowMs;
  return expiresInMs <= 0 ? { op: 'takeover' } : { op: 'wait', holder: record.holder, expiresInMs };
}
