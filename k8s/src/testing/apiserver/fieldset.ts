// Field sets as server-side apply tracks them (structured-merge-diff): paths of `f:<field>`,
// `k:{<list-map keys>}` and `v:<set value>` elements, converted to and from the managedFields
// `fieldsV1` trie, plus reading the value a path points at. Pure.
import { isGranularMap, listMerge } from './list-keys.js';
import type { ResourceType } from './types.js';

type Json = unknown;
type Obj = Record<string, Json>;
type Rt = Pick<ResourceType, 'kind' | 'schema' | 'builtin' | 'status'>;

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One path: its elements, e.g. ['f:spec', 'f:containers', 'k:{"name":"a"}', 'f:image']. */
export type FieldPath = string[];

const SEP = '\u0001';

/** A set of field paths (string-encoded for Set semantics). */
export class FieldSet {
  private readonly items = new Set<string>();
  constructor(paths: Iterable<FieldPath> = []) {
    for (const p of paths) this.add(p);
  }
  add(p: FieldPath): void {
    this.items.add(p.join(SEP));
  }
  has(p: FieldPath): boolean {
    return this.items.has(p.join(SEP));
  }
  delete(p: FieldPath): void {
    this.items.delete(p.join(SEP));
  }
  get size(): number {
    return this.items.size;
  }
  paths(): FieldPath[] {
    return [...this.items].map((s) => (s === '' ? [] : s.split(SEP)));
  }
  /** Whether any path of this set starts with `prefix` (the prefix itself included). */
  hasPrefix(prefix: FieldPath): boolean {
    const pre = prefix.join(SEP);
    for (const s of this.items) if (s === pre || s.startsWith(pre + SEP)) return true;
    return false;
  }
  minus(o: FieldSet): FieldSet {
    return new FieldSet(this.paths().filter((p) => !o.has(p)));
  }
  intersect(o: FieldSet): FieldSet {
    return new FieldSet(this.paths().filter((p) => o.has(p)));
  }
  union(o: FieldSet): FieldSet {
    return new FieldSet([...this.paths(), ...o.paths()]);
  }
}

function sortedKeyObject(item: Obj, keys: string[]): string {
  const o: Obj = {};
  for (const k of [...keys].sort()) if (item[k] !== undefined) o[k] = item[k];
  return JSON.stringify(o);
}

/** The list-map key element of an item (`k:{"name":"a"}`). */
export function keyElement(item: Obj, keys: string[]): string {
  return `k:${sortedKeyObject(item, keys)}`;
}

function walk(rt: Rt, v: Json, names: string[], fpath: FieldPath, out: FieldSet): void {
  if (isObj(v)) {
    const keys = Object.keys(v);
    if (keys.length === 0) {
      out.add(fpath);
      return;
    }
    if (names.length > 0 && isGranularMap(rt, names)) out.add(fpath);
    for (const k of keys) walk(rt, v[k], [...names, k], [...fpath, `f:${k}`], out);
    return;
  }
  if (Array.isArray(v)) {
    const m = listMerge(rt, names);
    if (m.type === 'atomic') out.add(fpath);
    else if (m.type === 'set') for (const e of v) out.add([...fpath, `v:${JSON.stringify(e)}`]);
    else
      for (const e of v) {
        if (!isObj(e)) continue;
        const el = [...fpath, keyElement(e, m.keys)];
        out.add(el);
        for (const k of Object.keys(e)) walk(rt, e[k], [...names, k], [...el, `f:${k}`], out);
      }
    return;
  }
  out.add(fpath);
}

/** Metadata fields server-side apply tracks; the rest of metadata is the server's. */
const TRACKED_META = ['labels', 'annotations', 'finalizers', 'ownerReferences'];

/**
 * The fields an object sets, as apply sees them: apiVersion, kind, identity metadata and the
 * part a subresource does not own (status on the main resource when it has a status
 * subresource; everything but status on /status) are left out.
 */
export function fieldSetOf(rt: Rt, obj: Obj, subresource: '' | 'status'): FieldSet {
  const out = new FieldSet();
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (rt.status && (subresource === 'status') !== (k === 'status')) continue;
    if (k === 'metadata') {
      if (!isObj(v)) continue;
      for (const mk of TRACKED_META) if (v[mk] !== undefined) walk(rt, v[mk], ['metadata', mk], ['f:metadata', `f:${mk}`], out);
      continue;
    }
    walk(rt, v, [k], [`f:${k}`], out);
  }
  return out;
}

/** The value `path` points at in obj (undefined when absent). */
export function valueAt(obj: Json, path: FieldPath): Json {
  let cur = obj;
  for (const el of path) {
    if (cur === undefined) return undefined;
    if (el.startsWith('f:')) cur = isObj(cur) ? cur[el.slice(2)] : undefined;
    else if (el.startsWith('k:')) {
      const key = JSON.parse(el.slice(2)) as Obj;
      cur = Array.isArray(cur) ? cur.find((e) => isObj(e) && Object.entries(key).every(([k, kv]) => JSON.stringify(e[k]) === JSON.stringify(kv))) : undefined;
    } else if (el.startsWith('v:')) {
      const want = el.slice(2);
      cur = Array.isArray(cur) ? cur.find((e) => JSON.stringify(e) === want) : undefined;
    } else if (el.startsWith('i:')) cur = Array.isArray(cur) ? cur[Number(el.slice(2))] : undefined;
    else return undefined;
  }
  return cur;
}

/** A field set as the nested `fieldsV1` object of managedFields. */
export function toFieldsV1(set: FieldSet): Obj {
  const root: Obj = {};
  const paths = set.paths();
  for (const p of paths) {
    let node = root;
    for (const el of p) node = (node[el] ??= {}) as Obj;
  }
  for (const p of paths) {
    let node = root;
    for (const el of p) node = node[el] as Obj;
    if (Object.keys(node).some((k) => k !== '.')) node['.'] = {};
  }
  return root;
}

/** Parses a `fieldsV1` trie back into a field set. */
export function fromFieldsV1(v: Json): FieldSet {
  const out = new FieldSet();
  const visit = (node: Json, path: FieldPath) => {
    if (!isObj(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 0 && path.length > 0) out.add(path);
    for (const k of keys) {
      if (k === '.') out.add(path);
      else visit(node[k], [...path, k]);
    }
  };
  visit(v, []);
  return out;
}

/** A human-readable path for conflict messages: `.spec.replicas`, `.spec.containers[name="a"].image`. */
export function describePath(path: FieldPath): string {
  let s = '';
  for (const el of path) {
    if (el.startsWith('f:')) s += `.${el.slice(2)}`;
    else if (el.startsWith('k:')) {
      const key = JSON.parse(el.slice(2)) as Obj;
      s += `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    } else if (el.startsWith('v:')) s += `[=${el.slice(2)}]`;
    else s += `[${el.slice(2)}]`;
  }
  return s;
}
