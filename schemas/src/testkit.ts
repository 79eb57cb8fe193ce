// Test helpers shared by the schema tests (not exported from the package entry).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseDocuments } from './parse.js';
import { validateResource } from './validate.js';

type Doc = Record<string, unknown>;

/**
 * A wrong document made from a valid one (`set` values and `unset` fields at our issue paths,
 * then `mutate`), the path that must be reported, and words its message must contain.
 */
export interface InvalidCase {
  name: string;
  set?: Record<string, unknown>;
  unset?: string[];
  mutate?: (doc: Doc) => void;
  path: string;
  message: string | RegExp;
}

const SEGMENT = /\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;

/** Parses `a.b[0]["x.y"]` (the issue path format) into keys and indices. */
export function parsePath(path: string): Array<string | number> {
  const out: Array<string | number> = [];
  SEGMENT.lastIndex = 0;
  while (SEGMENT.lastIndex < path.length) {
    const m = SEGMENT.exec(path);
    if (!m) throw new Error(`bad path ${path}`);
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]) as string)));
  }
  return out;
}

function parentAt(doc: Doc, path: string): { parent: Record<string | number, unknown>; key: string | number } {
  const segs = parsePath(path);
  let node: unknown = doc;
  for (const s of segs.slice(0, -1)) node = (node as Record<string | number, unknown>)[s];
  return { parent: node as Record<string | number, unknown>, key: segs[segs.length - 1] };
}

/** The value at an issue path. */
export function getAt(doc: Doc, path: string): unknown {
  const { parent, key } = parentAt(doc, path);
  return parent[key];
}

/** Sets the value at an issue path (the parent must exist). */
export function setAt(doc: Doc, path: string, value: unknown): void {
  const { parent, key } = parentAt(doc, path);
  parent[key] = value;
}

/** Deletes the field at an issue path. */
export function unsetAt(doc: Doc, path: string): void {
  const { parent, key } = parentAt(doc, path);
  delete parent[key];
}

/** Parses one example file of examples/resources and returns its first document. */
export function loadExample(file: string): Record<string, unknown> {
  const url = new URL(`../../examples/resources/${file}`, import.meta.url);
  const [first] = parseDocuments(readFileSync(url, 'utf8'), file);
  return first.doc as Record<string, unknown>;
}

/** Asserts the document is valid and returns the defaulted resource. */
export function expectValid(doc: unknown): Record<string, unknown> {
  const r = validateResource(doc);
  if (!r.ok) expect.fail(`expected valid, got:\n${r.errors.map((e) => `${e.path}: ${e.message}`).join('\n')}`);
  return r.resource as unknown as Record<string, unknown>;
}

/** Runs a table of invalid cases against a valid base document. */
export function runInvalidCases(base: () => Record<string, unknown>, cases: InvalidCase[]): void {
  for (const tc of cases) {
    it(`rejects: ${tc.name}`, () => {
      const doc = structuredClone(base());
      for (const [path, value] of Object.entries(tc.set ?? {})) setAt(doc, path, value);
      for (const path of tc.unset ?? []) unsetAt(doc, path);
      tc.mutate?.(doc);
      const r = validateResource(doc);
      expect(r.ok, `${tc.name} should be invalid`).to.equal(false);
      if (r.ok) return;
      const hit = r.errors.find((e) => e.path === tc.path);
      const all = r.errors.map((e) => `${e.path}: ${e.message}`).join('\n');
      expect(hit, `no issue at ${tc.path}; got:\n${all}`).to.not.equal(undefined);
      if (typeof tc.message === 'string') expect(hit?.message).to.contain(tc.message);
      else expect(hit?.message).to.match(tc.message);
    });
  }
}
