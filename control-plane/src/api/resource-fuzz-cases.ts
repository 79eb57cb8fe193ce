// Generators of malformed resource manifests for the resource fuzz suite (fast-check): one valid
// example per kind (examples/resources) mutated with wrong types, missing fields, unknown
// fields, huge and deep values, plus text that is not a resource at all. Test helper only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = Array<string | number>;

/** A generated manifest: its text and, when it is one JSON document, the document. */
export interface ResourceCase {
  what: string;
  text: string;
  doc?: Json;
}

const SEEDS = ['model.yaml', 'modelinfer.yaml', 'modelserver.yaml', 'modelroute.yaml', 'autoscalingpolicy.yaml', 'autoscalingpolicybinding.yaml'];

/** One valid document of each of the six kinds. */
export function seedResources(repoRoot: string): Json[] {
  return SEEDS.map((f) => parse(readFileSync(join(repoRoot, 'examples', 'resources', f), 'utf8')) as Json);
}

/** Every path of a document (the root excluded), inner nodes and leaves. */
export function pathsOf(doc: Json, prefix: Path = []): Path[] {
  if (typeof doc !== 'object' || doc === null) return [];
  const out: Path[] = [];
  const entries: Array<[string | number, Json]> = Array.isArray(doc) ? doc.map((v, i) => [i, v]) : Object.entries(doc);
  for (const [k, v] of entries) {
    const p = [...prefix, k];
    out.push(p, ...pathsOf(v, p));
  }
  return out;
}

const clone = (v: Json): Json => structuredClone(v);

function parentOf(doc: Json, path: Path): Record<string | number, Json> {
  let node = doc as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, Json>;
  return node;
}

function typeClass(v: Json): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** A JSON value of another type class than `like`. */
function otherTypeValue(like: Json): fc.Arbitrary<Json> {
  const all: Array<[string, fc.Arbitrary<Json>]> = [
    ['string', fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', '1', 'true', 'null', '-1'))],
    ['number', fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-1, 0, 1e300, 2 ** 53 + 1))],
    ['boolean', fc.boolean()],
    ['null', fc.constant(null)],
    ['array', fc.array(fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, { maxLength: 3 })],
    ['object', fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, { maxKeys: 3 })],
  ];
  return fc.oneof(...all.filter(([t]) => t !== typeClass(like)).map(([, a]) => a));
}

const deepValue = fc.tuple(fc.integer({ min: 50, max: 3000 }), fc.boolean()).map(([n, arrays]): Json => {
  let v: Json = 'bottom';
  for (let i = 0; i < n; i++) v = arrays ? [v] : { d: v };
  return v;
});
const hugeString = fc.integer({ min: 1000, max: 1_500_000 }).map((n) => 'h'.repeat(n));

function mutated(seeds: Json[]): fc.Arbitrary<ResourceCase> {
  return fc.integer({ min: 0, max: seeds.length - 1 }).chain((s) => {
    const seed = seeds[s];
    const paths = pathsOf(seed);
    const at = fc.constantFrom(...paths);
    const objects = [[], ...paths.filter((p) => { const v = p.reduce<Json>((n, k) => (n as Record<string | number, Json>)[k], seed); return typeof v === 'object' && v !== null && !Array.isArray(v); })] as Path[];
    const wrongType = at.chain((p) => otherTypeValue(parentOf(seed, p)[p[p.length - 1]]).map((v) => {
      const d = clone(seed);
      parentOf(d, p)[p[p.length - 1]] = v;
      return { what: `wrong type at ${p.join('.')}`, doc: d };
    }));
    const missing = at.map((p) => {
      const d = clone(seed);
      const parent = parentOf(d, p);
      if (Array.isArray(parent)) parent.splice(p[p.length - 1] as number, 1);
      else delete parent[p[p.length - 1]];
      return { what: `missing ${p.join('.')}`, doc: d };
    });
    const unknown = fc.tuple(fc.constantFrom(...objects), fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>).map(([p, key, v]) => {
      const d = clone(seed);
      const node = p.reduce<Json>((n, k) => (n as Record<string | number, Json>)[k], d) as Record<string, Json>;
      Object.defineProperty(node, `zz${key}`, { value: v, enumerable: true, writable: true, configurable: true });
      return { what: `unknown field zz${key} at ${p.join('.') || '<root>'}`, doc: d };
    });
    const hugeOrDeep = fc.tuple(at, fc.oneof(deepValue, hugeString)).map(([p, v]) => {
      const d = clone(seed);
      parentOf(d, p)[p[p.length - 1]] = v;
      return { what: `${typeof v === 'string' ? `huge string (${v.length} chars)` : 'deep value'} at ${p.join('.')}`, doc: d };
    });
    const hugeName = hugeString.map((n) => {
      const d = clone(seed) as { metadata: { name: Json } };
      d.metadata.name = n;
      return { what: 'huge metadata.name', doc: d as unknown as Json };
    });
    return fc.oneof(
      { weight: 40, arbitrary: wrongType },
      { weight: 20, arbitrary: missing },
      { weight: 20, arbitrary: unknown },
      { weight: 8, arbitrary: hugeOrDeep },
      { weight: 2, arbitrary: hugeName },
    ).map(({ what, doc }) => ({ what: `${(seed as { kind: string }).kind}: ${what}`, text: JSON.stringify(doc), doc }));
  });
}

const notResources: fc.Arbitrary<ResourceCase> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => ({ what: 'arbitrary JSON', text: JSON.stringify(v) ?? 'null', doc: v as Json })),
  fc.string({ unit: 'binary', maxLength: 300 }).map((t) => ({ what: 'arbitrary text', text: t })),
  fc.integer({ min: 3, max: 12 }).map((n) => {
    // A "billion laughs" alias bomb: each level refers to the previous one 9 times.
    const lines = ['l0: &l0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]'];
    for (let i = 1; i < n; i++) lines.push(`l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(',')}]`);
    return { what: `YAML alias bomb, ${n} levels`, text: lines.join('\n') };
  }),
  fc.constantFrom('kind: Model\n\tbad: tab', '---\n---\n', '{{{{', 'apiVersion: [', '!!binary AAAA', '? complex key\n: v', 'a: !!js/function "x"').map((t) => ({ what: 'broken YAML', text: t })),
);

/** Every kind of malformed manifest; most are one-field mutations of a valid resource. */
export function resourceCases(seeds: Json[]): fc.Arbitrary<ResourceCase> {
  return fc.oneof({ weight: 85, arbitrary: mutated(seeds) }, { weight: 15, arbitrary: notResources });
}
