// Compares the field paths of two CRD openAPIV3Schemas: does ours accept every path of theirs
// (MatrixInfer's own CRDs) with a compatible type? Pure: the caller reads the files.
//
// Paths are written `spec.backends[].workers[].image`, `[]` for list items and `{}` for map
// values. A path of theirs is "covered" when our schema has the same path with a type that
// accepts every value theirs accepts, or when an ancestor of ours keeps unknown fields
// (x-kubernetes-preserve-unknown-fields: the API server and our validator store it as written).

type Node = Record<string, unknown>;

/** One path of theirs that ours does not accept, or accepts with another type. */
export interface PathProblem {
  path: string;
  problem: 'missing' | 'type';
  theirs: string;
  /** Our type at the path ('' when missing). */
  ours: string;
}

/** What comparing one CRD schema found. */
export interface PathComparison {
  /** Paths of theirs, in walk order. */
  total: number;
  /** Paths matched by a typed node of ours. */
  typed: number;
  /** Paths that fall under a node of ours that preserves unknown fields. */
  preserved: number;
  problems: PathProblem[];
}

function isNode(v: unknown): v is Node {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const preserves = (n: Node): boolean => n['x-kubernetes-preserve-unknown-fields'] === true;

/** The type name of a schema node: its `type`, `int-or-string`, or `any` (untyped, preserved). */
export function typeOf(n: Node): string {
  if (n['x-kubernetes-int-or-string'] === true) return 'int-or-string';
  if (typeof n.type === 'string') return n.type;
  return preserves(n) ? 'any' : 'none';
}

/** Whether a value valid under type `theirs` is valid under type `ours`. */
export function typeAccepts(ours: string, theirs: string): boolean {
  if (ours === theirs || ours === 'any') return true;
  if (ours === 'number' && theirs === 'integer') return true;
  return ours === 'int-or-string' && (theirs === 'integer' || theirs === 'string');
}

/** Every path below `n` (not `n` itself), each with its node. */
function childPaths(n: Node, path: string): Array<[string, Node]> {
  const out: Array<[string, Node]> = [];
  const props = isNode(n.properties) ? n.properties : {};
  for (const [k, v] of Object.entries(props)) if (isNode(v)) out.push([path === '' ? k : `${path}.${k}`, v]);
  if (isNode(n.items)) out.push([`${path}[]`, n.items]);
  if (isNode(n.additionalProperties)) out.push([`${path}{}`, n.additionalProperties]);
  return out;
}

/** Our node for the child `key` of `ours` (a property, `[]` items or `{}` map values). */
function ourChild(ours: Node, key: string | '[]' | '{}'): Node | undefined {
  if (key === '[]') return isNode(ours.items) ? ours.items : undefined;
  const props = isNode(ours.properties) ? ours.properties : {};
  if (key !== '{}' && isNode(props[key])) return props[key] as Node;
  // A named field of theirs can be a value of a map of ours, and the other way round.
  return isNode(ours.additionalProperties) ? ours.additionalProperties : undefined;
}

function lastSegment(path: string): string | '[]' | '{}' {
  if (path.endsWith('[]')) return '[]';
  if (path.endsWith('{}')) return '{}';
  const i = path.lastIndexOf('.');
  return i < 0 ? path : path.slice(i + 1);
}

function countAll(n: Node, path: string): number {
  return childPaths(n, path).reduce((sum, [p, c]) => sum + 1 + countAll(c, p), 0);
}

function walk(theirs: Node, ours: Node | undefined, path: string, acc: PathComparison, underPreserve: boolean): void {
  acc.total++;
  if (ours === undefined) {
    if (underPreserve) {
      acc.preserved += 1 + countAll(theirs, path);
      acc.total += countAll(theirs, path);
      return;
    }
    acc.problems.push({ path, problem: 'missing', theirs: typeOf(theirs), ours: '' });
    for (const [p, c] of childPaths(theirs, path)) walk(c, undefined, p, acc, false);
    return;
  }
  acc.typed++;
  if (!typeAccepts(typeOf(ours), typeOf(theirs))) {
    acc.problems.push({ path, problem: 'type', theirs: typeOf(theirs), ours: typeOf(ours) });
  }
  for (const [p, c] of childPaths(theirs, path)) walk(c, ourChild(ours, lastSegment(p)), p, acc, preserves(ours));
}

/** Compares their openAPIV3Schema with ours: every path of theirs, what ours makes of it. */
export function comparePaths(theirs: unknown, ours: unknown): PathComparison {
  const acc: PathComparison = { total: 0, typed: 0, preserved: 0, problems: [] };
  if (!isNode(theirs) || !isNode(ours)) throw new TypeError('comparePaths needs two schema objects');
  walk(theirs, ours, '', acc, false);
  return acc;
}

/** One accepted difference, with why it is acceptable. */
export interface AllowedDifference {
  kind: string;
  path: string;
  reason: string;
}

/** Problems of `kind` not named by the allowlist, as `path: problem` lines (empty when all is well). */
export function unexplained(kind: string, problems: readonly PathProblem[], allow: readonly AllowedDifference[]): string[] {
  const allowed = new Set(allow.filter((a) => a.kind === kind).map((a) => a.path));
  return problems
    .filter((p) => !allowed.has(p.path))
    .map((p) => (p.problem === 'missing' ? `${kind} ${p.path}: missing (theirs: ${p.theirs})` : `${kind} ${p.path}: ours ${p.ours}, theirs ${p.theirs}`));
}

/**
 * Fields ours requires where theirs does not (a manifest valid for them that leaves one out is
 * rejected by ours), as paths `parent.field`. Only where both schemas have the parent node.
 */
export function stricterRequired(theirs: unknown, ours: unknown): string[] {
  const out: string[] = [];
  const walkReq = (t: unknown, o: unknown, path: string): void => {
    if (!isNode(t) || !isNode(o)) return;
    const theirReq = new Set(Array.isArray(t.required) ? t.required : []);
    for (const r of Array.isArray(o.required) ? o.required : []) {
      if (!theirReq.has(r)) out.push(path === '' ? String(r) : `${path}.${String(r)}`);
    }
    for (const [p, c] of childPaths(t, path)) walkReq(c, ourChild(o, lastSegment(p)), p);
  };
  walkReq(theirs, ours, '');
  return out;
}
