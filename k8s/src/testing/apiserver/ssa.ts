// Server-side apply and field ownership (managedFields), pure, after structured-merge-diff:
// apply merges the applied configuration into the live object, refuses (409) changes to fields
// other managers own unless forced, and removes fields the manager stopped applying; updates
// (PUT, non-apply PATCH) move ownership of the fields they change to their manager.
import { describePath, fieldSetOf, FieldSet, fromFieldsV1, keyElement, toFieldsV1, valueAt, type FieldPath } from './fieldset.js';
import { listMerge } from './list-keys.js';
import type { ManagedFieldsEntry, ResourceType } from './types.js';

type Json = unknown;
type Obj = Record<string, Json>;
type Rt = Pick<ResourceType, 'kind' | 'schema' | 'builtin' | 'status'>;

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Entry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  set: FieldSet;
}

/** Who asks and when. */
export interface ManagerInfo {
  manager: string;
  apiVersion: string;
  subresource: '' | 'status';
  /** RFC 3339 time stamped on the entry. */
  now: string;
}

/** A field another manager owns with a different value. */
export interface ApplyConflict {
  manager: string;
  apiVersion: string;
  field: string;
}

function entriesOf(obj: Obj | undefined): Entry[] {
  const mf = (obj?.metadata as { managedFields?: ManagedFieldsEntry[] } | undefined)?.managedFields ?? [];
  return mf.map((e) => ({ manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, time: e.time, subresource: e.subresource, set: fromFieldsV1(e.fieldsV1) }));
}

function toManaged(entries: Entry[]): ManagedFieldsEntry[] {
  return entries
    .filter((e) => e.set.size > 0)
    .map((e) => ({ manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, ...(e.time ? { time: e.time } : {}), fieldsType: 'FieldsV1' as const, fieldsV1: toFieldsV1(e.set), ...(e.subresource ? { subresource: e.subresource } : {}) }));
}

const sameManager = (e: Entry, m: ManagerInfo, op: 'Apply' | 'Update') => e.manager === m.manager && e.operation === op && (e.subresource ?? '') === m.subresource;

/** Whether a and b agree at a path (leaf: same value; inner node: both present). */
function agree(a: Obj | undefined, b: Obj, path: FieldPath, leaf: boolean): boolean {
  const va = valueAt(a, path);
  const vb = valueAt(b, path);
  if (!leaf) return va !== undefined && vb !== undefined;
  return JSON.stringify(va) === JSON.stringify(vb);
}

function isLeaf(set: FieldSet, path: FieldPath): boolean {
  return !set.paths().some((p) => p.length > path.length && path.every((el, i) => p[i] === el));
}

function mergeValue(rt: Rt, names: string[], live: Json, applied: Json): Json {
  if (isObj(applied)) {
    const out: Obj = isObj(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) {
      if (v === null) delete out[k];
      else out[k] = mergeValue(rt, [...names, k], out[k], v);
    }
    return out;
  }
  if (Array.isArray(applied)) {
    const m = listMerge(rt, names);
    if (m.type === 'atomic' || !Array.isArray(live)) return structuredClone(applied);
    if (m.type === 'set') {
      const out = [...live];
      for (const e of applied) if (!out.some((o) => JSON.stringify(o) === JSON.stringify(e))) out.push(structuredClone(e));
      return out;
    }
    const out = live.map((e) => structuredClone(e));
    for (const e of applied) {
      if (!isObj(e)) continue;
      const k = keyElement(e, m.keys);
      const at = out.findIndex((o) => isObj(o) && keyElement(o, m.keys) === k);
      if (at >= 0) out[at] = mergeValue(rt, names, out[at], e);
      else out.push(structuredClone(e));
    }
    return out;
  }
  return structuredClone(applied);
}

function removeAt(obj: Obj, path: FieldPath): void {
  const parent = valueAt(obj, path.slice(0, -1));
  const last = path[path.length - 1];
  if (last.startsWith('f:') && isObj(parent)) delete parent[last.slice(2)];
  else if (Array.isArray(parent)) {
    const target = valueAt(obj, path);
    const i = parent.indexOf(target);
    if (i >= 0) parent.splice(i, 1);
  }
}

/** The outcome of an apply: the merged object and its new managedFields, or the conflicts. */
export type ApplyResult = { ok: true; object: Obj; managedFields: ManagedFieldsEntry[] } | { ok: false; conflicts: ApplyConflict[] };

/** Server-side apply of `applied` by one manager onto `live` (undefined: the object is created). */
export function serverSideApply(rt: Rt, live: Obj | undefined, applied: Obj, m: ManagerInfo, force: boolean): ApplyResult {
  const entries = entriesOf(live);
  const mine = entries.find((e) => sameManager(e, m, 'Apply'));
  const others = entries.filter((e) => e !== mine);
  const fa = fieldSetOf(rt, applied, m.subresource);
  const conflicts: { entry: Entry; path: FieldPath }[] = [];
  for (const e of others)
    for (const p of fa.intersect(e.set).paths()) {
      if (!agree(live, applied, p, isLeaf(fa, p))) conflicts.push({ entry: e, path: p });
    }
  if (conflicts.length > 0 && !force) {
    return { ok: false, conflicts: conflicts.map((c) => ({ manager: c.entry.manager, apiVersion: c.entry.apiVersion, field: describePath(c.path) })) };
  }
  for (const c of conflicts) c.entry.set.delete(c.path);
  const scope = (o: Obj): Obj => {
    // Only the part this request may write is merged (status on /status, the rest elsewhere).
    if (!rt.status) return o;
    return Object.fromEntries(Object.entries(o).filter(([k]) => k === 'metadata' || k === 'apiVersion' || k === 'kind' || (k === 'status') === (m.subresource === 'status')));
  };
  const merged = mergeValue(rt, [], live ?? {}, scope(applied)) as Obj;
  const stale = mine ? mine.set.minus(fa) : new FieldSet();
  const removable = stale.paths().filter((p) => !others.some((e) => e.set.hasPrefix(p)));
  for (const p of removable.sort((a, b) => b.length - a.length)) removeAt(merged, p);
  const next: Entry = { manager: m.manager, operation: 'Apply', apiVersion: m.apiVersion, time: m.now, subresource: m.subresource || undefined, set: fa };
  const ordered = mine ? entries.map((e) => (e === mine ? next : e)) : [...entries, next];
  return { ok: true, object: merged, managedFields: toManaged(ordered) };
}

/** managedFields after a non-apply write from old (undefined on create) to next by one manager. */
export function trackUpdate(rt: Rt, old: Obj | undefined, next: Obj, m: ManagerInfo): ManagedFieldsEntry[] {
  const entries = entriesOf(old);
  const before = old ? fieldSetOf(rt, old, m.subresource) : new FieldSet();
  const after = fieldSetOf(rt, next, m.subresource);
  const changed = new FieldSet(after.paths().filter((p) => !(before.has(p) && agree(old, next, p, isLeaf(after, p)))));
  const removed = before.minus(after);
  let mine = entries.find((e) => sameManager(e, m, 'Update'));
  for (const e of entries) {
    for (const p of removed.paths()) e.set.delete(p);
    if (e !== mine) for (const p of changed.paths()) e.set.delete(p);
  }
  if (changed.size > 0) {
    if (!mine) entries.push((mine = { manager: m.manager, operation: 'Update', apiVersion: m.apiVersion, subresource: m.subresource || undefined, set: new FieldSet() }));
    for (const p of changed.paths()) mine.set.add(p);
    mine.time = m.now;
  }
  return toManaged(entries);
}
