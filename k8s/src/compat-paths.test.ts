// MatrixInfer compatibility of the CRDs: every field path of MatrixInfer's own CRDs
// (../shared/compat/matrixinfer/crds) must be accepted by ours with a compatible type.
import { KINDS } from '@matrixinfer/schemas';
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseDocuments } from '@matrixinfer/schemas';
import { join } from 'node:path';
import { crdFileName } from './crd-build.js';
import { prunedPaths } from './crd-check.js';
import { comparePaths, stricterRequired, typeAccepts, unexplained, type AllowedDifference } from './compat-paths.js';

const theirDir = new URL('../../../shared/compat/matrixinfer/crds/', import.meta.url);
const ourDir = new URL('../crds/', import.meta.url);
const exampleDir = new URL('../../../shared/compat/matrixinfer/examples/', import.meta.url);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : []));
}

/**
 * Differences we accept, each with its reason. Keep it as short as possible: an entry needs a
 * reason a MatrixInfer user would accept (every manifest that works for them still applies).
 */
export const ALLOWED_DIFFERENCES: readonly AllowedDifference[] = [];

const NO_SPEC = 'a resource without spec does nothing (every MatrixInfer manifest has one)';
const POD_IMAGE = 'Kubernetes rejects a pod whose container has no image, so no working manifest omits it';
/**
 * Fields we require and MatrixInfer does not, each with why. The test fails on a new one (a
 * valid MatrixInfer manifest could be rejected) and on a stale one.
 */
export const STRICTER_REQUIRED: Record<string, Record<string, string>> = {
  Model: { spec: NO_SPEC },
  ModelInfer: {
    spec: NO_SPEC,
    'spec.template.roles[].entryTemplate.spec': 'a role without a pod spec has no pods to run',
    'spec.template.roles[].workerTemplate.spec': 'a worker template without a pod spec has no pods to run',
    'spec.template.roles[].entryTemplate.spec.containers[].image': POD_IMAGE,
    'spec.template.roles[].entryTemplate.spec.initContainers[].image': POD_IMAGE,
    'spec.template.roles[].workerTemplate.spec.containers[].image': POD_IMAGE,
    'spec.template.roles[].workerTemplate.spec.initContainers[].image': POD_IMAGE,
    'spec.topologySpreadConstraints[].topologyKey': 'Kubernetes requires the topology key of a spread constraint',
  },
  ModelServer: {
    spec: NO_SPEC,
    'spec.workloadSelector.matchLabels': 'an empty selector would select every pod of the namespace as an endpoint',
  },
  ModelRoute: {
    'spec.rules[].name': 'rules are a list-map keyed by name (kubectl apply merges them by name); a unique name cannot be defaulted',
  },
  AutoscalingPolicy: { spec: NO_SPEC },
  AutoscalingPolicyBinding: {
    spec: NO_SPEC,
    'spec.policyRef.name': 'a binding without a policy name scales by nothing',
    'spec.scalingConfiguration.target': 'a scaling configuration without a target scales nothing',
    'spec.scalingConfiguration.target.targetRef.name': 'the scaled ModelInfer is found by name',
    'spec.optimizerConfiguration.params': 'an optimizer without targets scales nothing',
    'spec.optimizerConfiguration.params[].target': 'an optimizer entry without a target scales nothing',
    'spec.optimizerConfiguration.params[].target.targetRef.name': 'the scaled ModelInfer is found by name',
  },
};

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

  it('finds fields only ours requires', () => {
    const t = { type: 'object', required: ['a'], properties: { a: { type: 'string' }, l: { type: 'array', items: { type: 'object', properties: { x: { type: 'string' } } } } } };
    const o = { type: 'object', required: ['a', 'l'], properties: { a: { type: 'string' }, l: { type: 'array', items: { type: 'object', required: ['x'], properties: { x: { type: 'string' } } } } } };
    expect(stricterRequired(t, o)).to.deep.equal(['l', 'l[].x']);
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

    it(`${kind}: requires nothing MatrixInfer leaves optional, except the listed fields`, () => {
      const info = KINDS.find((k) => k.kind === kind);
      if (!info) throw new Error(`no kind ${kind} of ours`);
      const ours = schemaOf(readFileSync(new URL(crdFileName(info), ourDir), 'utf8')).schema;
      expect(stricterRequired(schema, ours).sort()).to.deep.equal(Object.keys(STRICTER_REQUIRED[kind] ?? {}).sort());
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

describe('MatrixInfer examples under our CRDs (what kubectl apply would store)', () => {
  if (!existsSync(exampleDir)) return;
  it('loses no field of any example to pruning (the known typo is the one unknown field)', () => {
    const docs = yamlFiles(exampleDir.pathname).flatMap((f) => parseDocuments(readFileSync(f, 'utf8'), f));
    expect(docs.length).to.be.greaterThan(5);
    for (const d of docs) {
      const kind = (d.doc as { kind?: string }).kind;
      const info = KINDS.find((k) => k.kind === kind);
      if (!info) throw new Error(`${d.source}: kind ${String(kind)} is not ours`);
      const schema = schemaOf(readFileSync(new URL(crdFileName(info), ourDir), 'utf8')).schema;
      // kubectl's strict field validation rejects what pruning would drop.
      const want = d.source.endsWith('Qwen2.5-Coder-32B-Instruct.yaml') ? ['spec.backends[0].workers[0].replicase'] : [];
      expect(prunedPaths(d.doc, schema), d.source).to.deep.equal(want);
    }
  });
});
