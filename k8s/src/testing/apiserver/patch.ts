// The three non-apply patch types kube-apiserver accepts, pure: JSON patch (RFC 6902), JSON
// merge patch (RFC 7386) and strategic merge patch (lists merged by key, $patch / $retainKeys /
// $setElementOrder / $deleteFromPrimitiveList directives) for built-in kinds.
import { listMerge } from './list-keys.js';
import type { ResourceType } from './types.js';

type Json = unknown;
type Obj = Record<string, Json>;

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A patch that cannot be applied; `invalid` errors are 422, the others 400. */
export class PatchError extends Error {
  constructor(
    message: string,
    readonly invalid = false,
  ) {
    super(message);
  }
}

/** RFC 7386: objects merge recursively, null deletes, everything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(`invalid JSON pointer: "${p}"`);
  return p.slice(1).split('/').map(unescape);
}

function getAt(doc: Json, path: string[]): Json {
  let cur = doc;
  for (const t of path) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObj(cur)) cur = cur[t];
    else return undefined;
  }
  return cur;
}

function parentOf(doc: Json, path: string[], op: string, pointer: string): { parent: Obj | Json[]; key: string } {
  const parent = getAt(doc, path.slice(0, -1));
  if (!isObj(parent) && !Array.isArray(parent)) throw new PatchError(`${op} operation does not apply: doc is missing path: "${pointer}"`, true);
  return { parent, key: path[path.length - 1] };
}

function index(arr: Json[], key: string, allowEnd: boolean, pointer: string): number {
  if (key === '-' && allowEnd) return arr.length;
  if (!/^\d+$/.test(key)) throw new PatchError(`invalid array index "${key}" in "${pointer}"`, true);
  const i = Number(key);
  if (i > arr.length || (!allowEnd && i === arr.length)) throw new PatchError(`array index out of bounds in "${pointer}"`, true);
  return i;
}

/** RFC 6902 operations applied in order; a failed `test` or a missing path is a PatchError. */
export function jsonPatch(doc: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be an array of operations');
  let root = structuredClone(doc);
  for (const raw of ops) {
    if (!isObj(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw new PatchError(`invalid JSON patch operation: ${JSON.stringify(raw)}`);
    const op = raw.op;
    const pointer = raw.path;
    const path = parsePointer(pointer);
    const remove = (p: string[], ptr: string): Json => {
      const { parent, key } = parentOf(root, p, op, ptr);
      if (Array.isArray(parent)) return parent.splice(index(parent, key, false, ptr), 1)[0];
      if (!(key in parent)) throw new PatchError(`${op} operation does not apply: doc is missing key: "${ptr}"`, true);
      const v = parent[key];
      delete parent[key];
      return v;
    };
    const add = (p: string[], ptr: string, value: Json) => {
      if (p.length === 0) {
        root = value;
        return;
      }
      const { parent, key } = parentOf(root, p, op, ptr);
      if (Array.isArray(parent)) parent.splice(index(parent, key, true, ptr), 0, value);
      else parent[key] = value;
    };
    switch (op) {
      case 'add':
        add(path, pointer, structuredClone(raw.value));
        break;
      case 'remove':
        remove(path, pointer);
        break;
      case 'replace':
        if (path.length > 0) remove(path, pointer);
        add(path, pointer, structuredClone(raw.value));
        break;
      case 'move':
      case 'copy': {
        if (typeof raw.from !== 'string') throw new PatchError(`${op} operation needs "from"`);
        const from = parsePointer(raw.from);
        const v = op === 'move' ? remove(from, raw.from) : structuredClone(getAt(root, from));
        if (v === undefined) throw new PatchError(`${op} operation does not apply: doc is missing from path: "${raw.from}"`, true);
        add(path, pointer, v);
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(root, path)) !== JSON.stringify(raw.value)) throw new PatchError(`testing value ${pointer} failed: test failed`, true);
        break;
      default:
        throw new PatchError(`Unexpected kind: ${op}`);
    }
  }
  return root;
}

type Rt = Pick<ResourceType, 'kind' | 'schema' | 'builtin'>;

function mergeKeyOf(rt: Rt, path: string[]): string | 'set' | undefined {
  const m = listMerge(rt, path);
  if (m.type === 'map') return m.keys[0];
  if (m.type === 'set') return 'set';
  return undefined;
}

function smpList(rt: Rt, path: string[], orig: Json, patch: Json[]): Json[] {
  const base = Array.isArray(orig) ? orig : [];
  const key = mergeKeyOf(rt, path);
  if (key === undefined) return patch.filter((e) => !(isObj(e) && e.$patch !== undefined)).map((e) => structuredClone(e));
  if (key === 'set') {
    const out = [...base];
    for (const v of patch) if (!out.some((o) => JSON.stringify(o) === JSON.stringify(v))) out.push(structuredClone(v));
    return out;
  }
  if (patch.some((e) => isObj(e) && e.$patch === 'replace')) return patch.filter((e) => !(isObj(e) && e.$patch === 'replace')).map((e) => structuredClone(e));
  const out = base.map((e) => structuredClone(e));
  for (const p of patch) {
    if (!isObj(p)) throw new PatchError(`strategic merge patch: list ${path.join('.')} needs objects with "${key}"`);
    const at = out.findIndex((o) => isObj(o) && JSON.stringify(o[key]) === JSON.stringify(p[key]));
    if (p.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) out[at] = smpMap(rt, path, out[at], p);
    else out.push(smpMap(rt, path, undefined, p));
  }
  return out;
}

function orderBy(list: Json[], order: Json[], key: string | 'set' | undefined): Json[] {
  const id = (e: Json) => (key && key !== 'set' && isObj(e) ? JSON.stringify(e[key]) : JSON.stringify(e));
  const rank = new Map(order.map((e, i) => [id(e), i]));
  const ranked = list.filter((e) => rank.has(id(e))).sort((a, b) => rank.get(id(a))! - rank.get(id(b))!);
  return [...ranked, ...list.filter((e) => !rank.has(id(e)))];
}

function smpMap(rt: Rt, path: string[], orig: Json, patch: Obj): Json {
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return structuredClone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  let out: Obj = isObj(orig) ? { ...orig } : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  const orders: [string, Json[]][] = [];
  const deletes: [string, Json[]][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) {
      orders.push([k.slice('$setElementOrder/'.length), v as Json[]]);
      continue;
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      deletes.push([k.slice('$deleteFromPrimitiveList/'.length), v as Json[]]);
      continue;
    }
    const p = [...path, k];
    if (v === null) delete out[k];
    else if (isObj(v)) {
      const merged = smpMap(rt, p, out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v)) out[k] = smpList(rt, p, out[k], v);
    else out[k] = structuredClone(v);
  }
  for (const [k, vals] of deletes) {
    if (Array.isArray(out[k])) out[k] = (out[k] as Json[]).filter((e) => !vals.some((d) => JSON.stringify(d) === JSON.stringify(e)));
  }
  for (const [k, order] of orders) {
    if (Array.isArray(out[k]) && Array.isArray(order)) out[k] = orderBy(out[k] as Json[], order, mergeKeyOf(rt, [...path, k]));
  }
  return out;
}

/** Strategic merge patch of a built-in object (custom resources refuse it: 415 upstream). */
export function strategicMergePatch(rt: Rt, target: Json, patch: Json): Json {
  if (!isObj(patch)) throw new PatchError('strategic merge patch must be a JSON object');
  return smpMap(rt, [], target, patch);
}
