// Defensive readers for cross-field rules: they run on documents that may also have schema
// errors, so they never assume a shape, they only look at what is there.
import type { ValidationIssue } from '../issues.js';
import { childPath } from '../paths.js';

export type Obj = Record<string, unknown>;

/** The value as a plain object, or undefined. */
export function obj(v: unknown): Obj | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

/** The value as an array, or an empty one. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The value as a string, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The value as a finite number, or undefined. */
export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Issues for repeated `key` values among list items at `path` (e.g. duplicate role names). */
export function uniqueBy(items: unknown[], key: string, path: string, what: string): ValidationIssue[] {
  const seen = new Map<string, number>();
  const out: ValidationIssue[] = [];
  items.forEach((item, i) => {
    const v = str(obj(item)?.[key]);
    if (v === undefined) return;
    const first = seen.get(v);
    if (first === undefined) seen.set(v, i);
    else out.push({ path: childPath(path, i, key), message: `duplicate ${what} "${v}" (also used by ${childPath(path, first)})` });
  });
  return out;
}

/** Issues for repeated strings in a list at `path`. */
export function uniqueStrings(items: unknown[], path: string, what: string): ValidationIssue[] {
  const seen = new Map<string, number>();
  const out: ValidationIssue[] = [];
  items.forEach((v, i) => {
    if (typeof v !== 'string') return;
    const first = seen.get(v);
    if (first === undefined) seen.set(v, i);
    else out.push({ path: childPath(path, i), message: `duplicate ${what} "${v}" (also at ${childPath(path, first)})` });
  });
  return out;
}

/** An issue when min > max (both present), reported on the min field. */
export function minNotAboveMax(o: Obj | undefined, path: string, minKey = 'minReplicas', maxKey = 'maxReplicas'): ValidationIssue[] {
  const min = num(o?.[minKey]);
  const max = num(o?.[maxKey]);
  if (min === undefined || max === undefined || min <= max) return [];
  return [{ path: childPath(path, minKey), message: `must not be greater than ${maxKey} (${min} > ${max})` }];
}
