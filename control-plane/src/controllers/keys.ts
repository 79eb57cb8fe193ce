// Map keys and small structural helpers shared by the folds.
import { stableStringify } from '@matrixinfer/events';

/** `<kind>/<namespace>/<name>`: identity of a resource across the folds. */
export function resourceKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** `<namespace>/<name>`: identity of one resource within a kind. */
export function nsKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * True when every field of `want` is present with the same value in `have` (extra fields in
 * `have`, e.g. defaults filled in at admission, are ignored). Arrays must match element-wise.
 */
export function isSubset(want: unknown, have: unknown): boolean {
  if (want === undefined) return true;
  if (want === null || typeof want !== 'object') return stableStringify(want) === stableStringify(have);
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return false;
    return want.every((w, i) => isSubset(w, have[i]));
  }
  if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
  const h = have as Record<string, unknown>;
  return Object.entries(want as Record<string, unknown>).every(([k, v]) => isSubset(v, h[k]));
}
