// MatrixInfer compatibility of the CRDs: every field path of MatrixInfer's own CRDs
// (../shared/compat/matrixinfer/crds) must be accepted by ours with a compatible type.
import { KINDS } from '@matrixinfer/schemas';
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { crdFileName } from './crd-build.js';
import { comparePaths, typeAccepts, unexplained, type AllowedDifference } from './compat-paths.js';

const theirDir = new URL('../../../shared/compat/matrixinfer/crds/', import.meta.url);
const ourDir = new URL('../crds/', import.meta.url);

/**
 * Differences we accept, each with its reason. Keep it as short as possible: an entry needs a
 * reason a MatrixInfer user would accept (every manifest that works for them still applies).
 */
export const ALLOWED_DIFFERENCES: readonly AllowedDifference[] = [
  {
    kind: 'Model',
    path: 'spec.backends[].workers[].config',
    reason:
      'their CRD leaves the engine config untyped (any JSON), but it is documented and used as a map of engine arguments ' +
      '(their examples, our engine flags); a list or scalar could never become engine flags, so ours asks for an object',
  },
];

function schemaOf(text: string): { kind: string; schema: unknown } {
  const crd = parse(text) as { spec: { names: { kind: string }; versions: Array<{ schema: { openAPIV3Schema: unknown } }> } };
  return { kind: crd.spec.names.kind, schema: crd.spec.versions[0].schema.openAPIV3Schema };
}

describe('comparePaths (pure)', () => {
  const theirs = {
    type: 'object',
    properties: {
      a: { type: 'integer' },
      b: { type: 'object', properties: { c: { type: 'string' } } },
      q: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      free: { type: 'object', properties: { deep: { type: 'array', items: { type: 'string' } } } },
      m: { type: 'object', additionalProperties: { type: 'string' } },
    },
  };

  it('reports missing paths (with their children) and type mismatches', () => {
    const ours = { type: 'object', properties: { a: { type: 'string' }, q: { type: 'number' }, free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, m: { type: 'object', additionalProperties: { type: 'string' } } } };
    const r = comparePaths(theirs, ours);
    expect(r.problems).to.deep.equal([
      { path: 'a', problem: 'type', theirs: 'integer', ours: 'string' },
      { path: 'b', problem: 'missing', theirs: 'object', ours: '' },
      { path: 'b.c', problem: 'missing', theirs: 'string', ours: '' },
      { path: 'q', problem: 'type', theirs: 'int-or-string', ours: 'number' },
    ]);
    // free.deep and free.deep[] fall under our preserved `free`.
    expect(r.preserved).to.equal(2);
    expect(r.total).to.equal(10);
  });

  it('accepts wider types of ours', () => {
    expect(typeAccepts('number', 'integer')).to.equal(true);
    expect(typeAccepts('int-or-string', 'string')).to.equal(true);
    expect(typeAccepts('any', 'object')).to.equal(true);
    expect(typeAccepts('integer', 'number')).to.equal(false);
    expect(typeAccepts('object', 'any')).to.equal(false);
  });

  it('lists only what the allowlist does not explain', () => {
    const problems = comparePaths(theirs, { type: 'object', properties: {} }).problems;
    const allow = problems.map((p) => ({ kind: 'K', path: p.path, reason: 'test' }));
    expect(unexplained('K', problems, allow)).to.deep.equal([]);
    expect(unexplained('K', problems, allow.slice(1))[0]).to.equal('K a: missing (theirs: integer)');
  });
});

describe('MatrixInfer CRD compatibility (field paths and types)', function () {
  if (!existsSync(theirDir)) {
    it('needs ../shared/compat/matrixinfer/crds', function () {
      this.skip(); // the compatibility corpus lives beside the repository, not in it
    });
    return;
  }
  const files = readdirSync(theirDir).filter((f) => f.endsWith('.yaml'));

  it('has a CRD of theirs for each of our kinds', () => {
    const kinds = files.map((f) => schemaOf(readFileSync(new URL(f, theirDir), 'utf8')).kind).sort();
    expect(kinds).to.deep.equal(KINDS.map((k) => k.kind).sort());
  });

  for (const file of files) {
    const { kind, schema } = schemaOf(readFileSync(new URL(file, theirDir), 'utf8'));
    it(`${kind}: ours accepts every path of theirs with a compatible type`, () => {
      const info = KINDS.find((k) => k.kind === kind);
      if (!info) throw new Error(`no kind ${kind} of ours`);
      const ours = schemaOf(readFileSync(new URL(crdFileName(info), ourDir), 'utf8')).schema;
      const r = comparePaths(schema, ours);
      expect(r.total).to.be.greaterThan(10);
      expect(unexplained(kind, r.problems, ALLOWED_DIFFERENCES)).to.deep.equal([]);
    });
  }

  it('every allowlist entry still explains a real difference and has a reason', () => {
    for (const a of ALLOWED_DIFFERENCES) {
      expect(a.reason.length, `${a.kind} ${a.path}`).to.be.greaterThan(20);
      const file = files.find((f) => schemaOf(readFileSync(new URL(f, theirDir), 'utf8')).kind === a.kind);
      const info = KINDS.find((k) => k.kind === a.kind);
      if (!file || !info) throw new Error(`allowlist names unknown kind ${a.kind}`);
      const theirs = schemaOf(readFileSync(new URL(file, theirDir), 'utf8')).schema;
      const ours = schemaOf(readFileSync(new URL(crdFileName(info), ourDir), 'utf8')).schema;
      expect(comparePaths(theirs, ours).problems.map((p) => p.path), `stale allowlist entry ${a.kind} ${a.path}`).to.include(a.path);
    }
  });
});
