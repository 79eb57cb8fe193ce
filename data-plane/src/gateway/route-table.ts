// The routing table a gateway holds: an immutable snapshot of `mi-routes`, swapped whole on every
// change so a request reads one consistent table without locks. Pure: no NATS in here.
import type { RouteEntry } from '@matrixinfer/events';

/** One key of `mi-routes` as held in memory, with the KV revision it came from. */
export interface TableEntry {
  readonly entry: RouteEntry;
  readonly revision: number;
  /** Compiled regexes of the entry's header/uri matches, by pattern (built once per update). */
  readonly regexes: ReadonlyMap<string, RegExp>;
}

/** Immutable snapshot: lookups by key, plus the highest revision folded in. */
export interface RouteTable {
  readonly entries: ReadonlyMap<string, TableEntry>;
  /** Revision of a deleted key, kept so an older replayed put cannot resurrect it. */
  readonly tombstones: ReadonlyMap<string, number>;
  readonly revision: number;
}

/** One change read from the bucket: a put (entry decoded, or null when undecodable) or a delete. */
export type RouteUpdate =
  | { op: 'put'; key: string; revision: number; entry: RouteEntry | null }
  | { op: 'del'; key: string; revision: number };

/** The table before anything was read. */
export const EMPTY_TABLE: RouteTable = { entries: new Map(), tombstones: new Map(), revision: 0 };

function compile(entry: RouteEntry): Map<string, RegExp> {
  const out = new Map<string, RegExp>();
  for (const rule of entry.rules) {
    const m = rule.match;
    if (!m) continue;
    if (m.uri?.regex !== undefined) out.set(m.uri.regex, new RegExp(m.uri.regex));
    if (m.headers) for (const h of Object.values(m.headers)) if (h.regex !== undefined) out.set(h.regex, new RegExp(h.regex));
  }
  return out;
}

/**
 * Folds a batch of updates into a new table (the old one is untouched). An update older than
 * what the table holds for its key is ignored, so replays after a reconnect are harmless. An
 * undecodable put (unknown format, bad regex) removes the key: serving a stale entry for a key
 * the control plane changed would route to the wrong place.
 */
export function applyUpdates(table: RouteTable, updates: readonly RouteUpdate[]): RouteTable {
  if (updates.length === 0) return table;
  const entries = new Map(table.entries);
  const tombstones = new Map(table.tombstones);
  let revision = table.revision;
  for (const u of updates) {
    const held = entries.get(u.key)?.revision ?? tombstones.get(u.key) ?? 0;
    if (u.revision <= held) continue;
    if (u.revision > revision) revision = u.revision;
    let compiled: TableEntry | null = null;
    if (u.op === 'put' && u.entry) {
      try {
        compiled = { entry: u.entry, revision: u.revision, regexes: compile(u.entry) };
      } catch {
        compiled = null;
      }
    }
    if (compiled) {
      entries.set(u.key, compiled);
      tombstones.delete(u.key);
    } else {
      entries.delete(u.key);
      tombstones.set(u.key, u.revision);
    }
  }
  return { entries, tombstones, revision };
}
