// Garbage collection and namespace cleanup planning, pure (after kube-controller-manager's
// garbagecollector and namespace controller): from a snapshot of every object, the deletes,
// owner-reference removals and finalizer removals that move the cluster towards "no orphans".
import type { KObject } from './types.js';

/** One stored object and the resource it belongs to. */
export interface GcItem {
  resource: string;
  namespaced: boolean;
  object: KObject;
}

/** What the collector does next. */
export type GcAction =
  | { type: 'delete'; resource: string; namespace: string; name: string; uid: string; propagation: 'Background' | 'Foreground' | 'Orphan' }
  | { type: 'removeOwnerRefs'; resource: string; namespace: string; name: string; uids: string[] }
  | { type: 'removeFinalizer'; resource: string; namespace: string; name: string; finalizer: string }
  | { type: 'finalizeNamespace'; name: string };

const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';

const id = (i: GcItem) => ({ resource: i.resource, namespace: i.object.metadata?.namespace ?? '', name: i.object.metadata?.name ?? '' });
const deleting = (o: KObject) => o.metadata?.deletionTimestamp !== undefined;
const has = (o: KObject, f: string) => (o.metadata?.finalizers ?? []).includes(f);

/** The next actions for a snapshot; empty when the cluster is consistent. */
export function planGc(items: GcItem[]): GcAction[] {
  const byUid = new Map<string, GcItem>();
  for (const i of items) if (i.object.metadata?.uid) byUid.set(i.object.metadata.uid, i);
  const dependents = new Map<string, GcItem[]>();
  for (const i of items)
    for (const r of i.object.metadata?.ownerReferences ?? []) {
      const list = dependents.get(r.uid) ?? [];
      list.push(i);
      dependents.set(r.uid, list);
    }
  const out: GcAction[] = [];
  for (const i of items) {
    const o = i.object;
    const refs = o.metadata?.ownerReferences ?? [];
    if (refs.length > 0 && !deleting(o)) {
      const dangling: string[] = [];
      const waiting: string[] = [];
      let solid = 0;
      for (const r of refs) {
        const owner = byUid.get(r.uid);
        // An owner counts only if it is the object named (same kind and name, and same namespace for namespaced dependents).
        const sameNs = !owner?.namespaced || (owner.object.metadata?.namespace ?? '') === (o.metadata?.namespace ?? '');
        if (!owner || owner.object.kind !== r.kind || owner.object.metadata?.name !== r.name || !sameNs) dangling.push(r.uid);
        else if (deleting(owner.object) && has(owner.object, FOREGROUND)) waiting.push(r.uid);
        else solid++;
      }
      if (solid > 0) {
        if (dangling.length + waiting.length > 0) out.push({ type: 'removeOwnerRefs', ...id(i), uids: [...dangling, ...waiting] });
      } else {
        const hasDependents = (dependents.get(o.metadata?.uid ?? '') ?? []).length > 0;
        const propagation = waiting.length > 0 && hasDependents ? 'Foreground' : has(o, ORPHAN) ? 'Orphan' : has(o, FOREGROUND) ? 'Foreground' : 'Background';
        out.push({ type: 'delete', ...id(i), uid: o.metadata?.uid ?? '', propagation });
      }
    }
    if (deleting(o)) {
      const deps = dependents.get(o.metadata?.uid ?? '') ?? [];
      if (has(o, ORPHAN)) {
        for (const d of deps) out.push({ type: 'removeOwnerRefs', ...id(d), uids: [o.metadata!.uid!] });
        if (deps.length === 0) out.push({ type: 'removeFinalizer', ...id(i), finalizer: ORPHAN });
      } else if (has(o, FOREGROUND)) {
        const blocking = deps.filter((d) => (d.object.metadata?.ownerReferences ?? []).some((r) => r.uid === o.metadata?.uid && r.blockOwnerDeletion === true));
        if (blocking.length === 0) out.push({ type: 'removeFinalizer', ...id(i), finalizer: FOREGROUND });
      }
    }
  }
  for (const ns of items.filter((i) => i.object.kind === 'Namespace' && deleting(i.object))) {
    const name = ns.object.metadata?.name;
    const content = items.filter((i) => i.namespaced && i.object.metadata?.namespace === name);
    for (const c of content) if (!deleting(c.object)) out.push({ type: 'delete', ...id(c), uid: c.object.metadata?.uid ?? '', propagation: 'Background' });
    if (content.length === 0) out.push({ type: 'finalizeNamespace', name: name ?? '' });
  }
  return out;
}
