// Pure core of the status write-back: the status the projector keeps in `mi-status` → the
// merge patch of a Kubernetes object's status subresource, or null when the object already
// shows it. observedGeneration is translated from the log's generation to the Kubernetes one
// (the ingest keeps it on each version); a condition keeps its lastTransitionTime while its
// status stays the same; fields the CRD does not declare are left out (the API would prune
// them, and the next comparison would see a difference that can never go away).
import { stableStringify, type StoredResource } from '@matrixinfer/events';
import { identityOf, type K8sObject } from '../ingest/object.js';

interface Condition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  [k: string]: unknown;
}

/** What the patch is computed from. */
export interface StatusInput {
  /** The object as Kubernetes has it (metadata.generation and status read). */
  current: K8sObject;
  /** The status from `mi-status`. */
  desired: Record<string, unknown>;
  /** The live version in MI_DESIRED (null: unknown, generation not translated). */
  live: StoredResource | null;
  /** Top-level status fields the CRD declares. */
  fields: ReadonlySet<string>;
  /** ISO time for a condition whose status changed. */
  nowIso: string;
}

function conditionsWithTimes(desired: unknown, current: unknown, nowIso: string): Condition[] | undefined {
  if (!Array.isArray(desired)) return undefined;
  const before = new Map<string, Condition>();
  if (Array.isArray(current)) for (const c of current as Condition[]) if (c && typeof c.type === 'string') before.set(c.type, c);
  return (desired as Condition[]).map((c) => {
    const prev = before.get(c.type);
    const lastTransitionTime = prev !== undefined && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : (c.lastTransitionTime ?? nowIso);
    return { ...c, lastTransitionTime };
  });
}

/** The Kubernetes generation the desired status describes, or undefined when it lags behind the live version. */
export function observedGenerationFor(desired: Record<string, unknown>, live: StoredResource | null, current: K8sObject): number | undefined {
  const seen = desired.observedGeneration;
  if (live === null || typeof seen !== 'number' || seen < (live.metadata.generation ?? 0)) return undefined;
  // An ingested version carries its Kubernetes generation; a mirrored child is at the object's own.
  return identityOf(live).generation ?? current.metadata?.generation;
}

/** The merge patch `{ status }` to send, or null when nothing would change. */
export function statusPatch(i: StatusInput): { status: Record<string, unknown> } | null {
  const cur = (i.current.status ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(i.desired)) if (i.fields.has(k) && k !== 'observedGeneration' && k !== 'conditions') out[k] = v;
  if (i.fields.has('conditions')) {
    const conditions = conditionsWithTimes(i.desired.conditions, cur.conditions, i.nowIso);
    if (conditions !== undefined) out.conditions = conditions;
  }
  if (i.fields.has('observedGeneration')) {
    const g = observedGenerationFor(i.desired, i.live, i.current);
    if (g !== undefined) out.observedGeneration = g;
  }
  const changed = Object.entries(out).some(([k, v]) => stableStringify(v) !== stableStringify(cur[k] ?? null));
  return changed ? { status: out } : null;
}
