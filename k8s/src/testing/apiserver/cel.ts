// x-kubernetes-validations for custom resources: a small CEL subset (what k8s/crds use and a
// little more: has(), size(), all/exists/exists_one/filter/map macros, comparisons, && || !,
// arithmetic, in, ?:, startsWith/endsWith/contains/matches), pure. A rule that is false gives
// the field error the real server gives; transition rules (oldSelf) are not evaluated.
import type { StatusCause } from './status.js';
import type { Schema } from './types.js';

type V = unknown;
type Tok = { t: 'num' | 'str' | 'id' | 'op'; v: string };

class CelError extends Error {}

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['&&', '||', '==', '!=', '<=', '>='].includes(two)) {
      out.push({ t: 'op', v: two });
      i += 2;
    } else if ('()[].,!<>+-*/%?:'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') j++;
        s += src[j++];
      }
      out.push({ t: 'str', v: s });
      i = j + 1;
    } else if (/\d/.test(c)) {
      const m = /^\d+(\.\d+)?[uU]?/.exec(src.slice(i))![0];
      out.push({ t: 'num', v: m.replace(/[uU]$/, '') });
      i += m.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))![0];
      out.push({ t: 'id', v: m });
      i += m.length;
    } else throw new CelError(`unexpected character ${c}`);
  }
  return out;
}

type Node =
  | { k: 'lit'; v: V }
  | { k: 'id'; name: string }
  | { k: 'sel'; of: Node; field: string }
  | { k: 'idx'; of: Node; at: Node }
  | { k: 'call'; fn: string; target?: Node; args: Node[] }
  | { k: 'un'; op: string; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'cond'; c: Node; a: Node; b: Node }
  | { k: 'list'; items: Node[] };

function parse(src: string): Node {
  const toks = lex(src);
  let p = 0;
  const peek = (v?: string) => (v === undefined ? toks[p] : toks[p]?.v === v && toks[p]?.t !== 'str' ? toks[p] : undefined);
  const eat = (v: string) => {
    if (!peek(v)) throw new CelError(`expected ${v}`);
    p++;
  };
  const binary = (next: () => Node, ops: string[]) => (): Node => {
    let a = next();
    while (toks[p] && toks[p].t !== 'str' && ops.includes(toks[p].v)) {
      const op = toks[p++].v;
      a = { k: 'bin', op, a, b: next() };
    }
    return a;
  };
  const args = (): Node[] => {
    const out: Node[] = [];
    eat('(');
    if (!peek(')')) {
      out.push(expr());
      while (peek(',')) {
        p++;
        out.push(expr());
      }
    }
    eat(')');
    return out;
  };
  const primary = (): Node => {
    const t = toks[p++];
    if (!t) throw new CelError('unexpected end');
    if (t.t === 'num') return { k: 'lit', v: Number(t.v) };
    if (t.t === 'str') return { k: 'lit', v: t.v };
    if (t.t === 'op' && t.v === '(') {
      const e = expr();
      eat(')');
      return e;
    }
    if (t.t === 'op' && t.v === '[') {
      const items: Node[] = [];
      if (!peek(']')) {
        items.push(expr());
        while (peek(',')) {
          p++;
          items.push(expr());
        }
      }
      eat(']');
      return { k: 'list', items };
    }
    if (t.t === 'id') {
      if (t.v === 'true' || t.v === 'false') return { k: 'lit', v: t.v === 'true' };
      if (t.v === 'null') return { k: 'lit', v: null };
      if (peek('(')) return { k: 'call', fn: t.v, args: args() };
      return { k: 'id', name: t.v };
    }
    throw new CelError(`unexpected ${t.v}`);
  };
  const postfix = (): Node => {
    let n = primary();
    while (true) {
      if (peek('.')) {
        p++;
        const id = toks[p++];
        if (id?.t !== 'id') throw new CelError('expected a field name');
        n = peek('(') ? { k: 'call', fn: id.v, target: n, args: args() } : { k: 'sel', of: n, field: id.v };
      } else if (peek('[')) {
        p++;
        const at = expr();
        eat(']');
        n = { k: 'idx', of: n, at };
      } else return n;
    }
  };
  const unary = (): Node => {
    if (peek('!') || peek('-')) {
      const op = toks[p++].v;
      return { k: 'un', op, a: unary() };
    }
    return postfix();
  };
  const mul = binary(unary, ['*', '/', '%']);
  const add = binary(mul, ['+', '-']);
  const rel = (): Node => {
    let a = add();
    while (toks[p] && toks[p].t !== 'str' && (['==', '!=', '<', '<=', '>', '>='].includes(toks[p].v) || (toks[p].t === 'id' && toks[p].v === 'in'))) {
      const op = toks[p++].v;
      a = { k: 'bin', op, a, b: add() };
    }
    return a;
  };
  const and = binary(rel, ['&&']);
  const or = binary(and, ['||']);
  const expr = (): Node => {
    const c = or();
    if (peek('?')) {
      p++;
      const a = expr();
      eat(':');
      return { k: 'cond', c, a, b: expr() };
    }
    return c;
  };
  const e = expr();
  if (p !== toks.length) throw new CelError(`unexpected ${toks[p].v}`);
  return e;
}

const isObj = (v: V): v is Record<string, V> => typeof v === 'object' && v !== null && !Array.isArray(v);

function field(of: V, name: string): V {
  if (!isObj(of) || !(name in of)) throw new CelError(`no such key: ${name}`);
  return of[name];
}

function ev(n: Node, env: Record<string, V>): V {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'list':
      return n.items.map((i) => ev(i, env));
    case 'id':
      if (!(n.name in env)) throw new CelError(`undeclared reference to '${n.name}'`);
      return env[n.name];
    case 'sel':
      return field(ev(n.of, env), n.field);
    case 'idx': {
      const of = ev(n.of, env);
      const at = ev(n.at, env);
      if (Array.isArray(of) && typeof at === 'number') {
        if (at < 0 || at >= of.length) throw new CelError('index out of range');
        return of[at];
      }
      return field(of, String(at));
    }
    case 'un': {
      const a = ev(n.a, env);
      return n.op === '!' ? !a : -(a as number);
    }
    case 'cond':
      return ev(n.c, env) ? ev(n.a, env) : ev(n.b, env);
    case 'bin': {
      if (n.op === '&&' || n.op === '||') {
        // CEL's commutative logic: the deciding value (false for &&, true for ||) wins over an error on either side.
        const decides = n.op === '||';
        let ea: unknown;
        let a: V;
        try {
          a = ev(n.a, env);
        } catch (e) {
          ea = e;
        }
        if (ea === undefined && a === decides) return decides;
        const b = ev(n.b, env);
        if (b === decides) return decides;
        if (ea !== undefined) throw ea;
        return decides ? Boolean(a) || Boolean(b) : Boolean(a) && Boolean(b);
      }
      const a = ev(n.a, env);
      const b = ev(n.b, env);
      switch (n.op) {
        case '==':
          return JSON.stringify(a) === JSON.stringify(b);
        case '!=':
          return JSON.stringify(a) !== JSON.stringify(b);
        case '<':
          return (a as number) < (b as number);
        case '<=':
          return (a as number) <= (b as number);
        case '>':
          return (a as number) > (b as number);
        case '>=':
          return (a as number) >= (b as number);
        case '+':
          return Array.isArray(a) ? [...a, ...(b as V[])] : typeof a === 'string' ? a + String(b) : (a as number) + (b as number);
        case '-':
          return (a as number) - (b as number);
        case '*':
          return (a as number) * (b as number);
        case '/':
          return Math.trunc((a as number) / (b as number));
        case '%':
          return (a as number) % (b as number);
        case 'in':
          return Array.isArray(b) ? b.some((x) => JSON.stringify(x) === JSON.stringify(a)) : isObj(b) && String(a) in b;
      }
      throw new CelError(`unknown operator ${n.op}`);
    }
    case 'call':
      return call(n, env);
  }
}

function call(n: Extract<Node, { k: 'call' }>, env: Record<string, V>): V {
  if (n.fn === 'has' && !n.target) {
    const a = n.args[0];
    if (a?.k !== 'sel') throw new CelError('invalid argument to has() macro');
    const of = ev(a.of, env);
    return isObj(of) && a.field in of;
  }
  if (n.fn === 'size' && !n.target) return sizeOf(ev(n.args[0], env));
  if (!n.target) throw new CelError(`undeclared reference to '${n.fn}'`);
  const macros = ['all', 'exists', 'exists_one', 'filter', 'map'];
  if (macros.includes(n.fn)) {
    const target = ev(n.target, env);
    const items = Array.isArray(target) ? target : isObj(target) ? Object.keys(target) : [];
    const v = n.args[0];
    if (v?.k !== 'id') throw new CelError(`${n.fn}() needs a variable`);
    const body = (x: V) => ev(n.args[1], { ...env, [v.name]: x });
    if (n.fn === 'all') return items.every((x) => body(x) === true);
    if (n.fn === 'exists') return items.some((x) => body(x) === true);
    if (n.fn === 'exists_one') return items.filter((x) => body(x) === true).length === 1;
    if (n.fn === 'filter') return items.filter((x) => body(x) === true);
    return items.map(body);
  }
  const t = ev(n.target, env);
  const args = n.args.map((a) => ev(a, env));
  switch (n.fn) {
    case 'size':
      return sizeOf(t);
    case 'startsWith':
      return String(t).startsWith(String(args[0]));
    case 'endsWith':
      return String(t).endsWith(String(args[0]));
    case 'contains':
      return String(t).includes(String(args[0]));
    case 'matches':
      return new RegExp(String(args[0]), 'u').test(String(t));
  }
  throw new CelError(`found no matching overload for '${n.fn}'`);
}

function sizeOf(v: V): number {
  if (typeof v === 'string') return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (isObj(v)) return Object.keys(v).length;
  throw new CelError('no matching overload for size');
}

/** Evaluates one rule with `self` bound; errors are thrown as Error. */
export function evaluateRule(rule: string, self: V): boolean {
  return ev(parse(rule), { self }) === true;
}

function typeWord(v: V): string {
  if (Array.isArray(v)) return 'array';
  if (isObj(v)) return 'object';
  return typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v;
}

function walk(s: Schema, v: V, path: string, out: StatusCause[]): void {
  if (v === undefined || v === null) return;
  for (const r of s['x-kubernetes-validations'] ?? []) {
    if (/\boldSelf\b/.test(r.rule)) continue;
    const at = path + (r.fieldPath ?? '');
    const shown = isObj(v) || Array.isArray(v) ? `"${typeWord(v)}"` : JSON.stringify(v);
    try {
      if (!evaluateRule(r.rule, v)) out.push({ reason: r.reason ?? 'FieldValueInvalid', field: at, message: `Invalid value: ${shown}: ${r.message ?? `failed rule: ${r.rule}`}` });
    } catch (e) {
      out.push({ reason: 'FieldValueInvalid', field: at, message: `Invalid value: ${shown}: rule evaluation error: ${(e as Error).message}` });
    }
  }
  if (Array.isArray(v) && s.items) v.forEach((x, i) => walk(s.items!, x, `${path}[${i}]`, out));
  if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) {
      const cs = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      if (cs) walk(cs, x, path === '' ? k : `${path}.${k}`, out);
    }
  }
}

/** Field errors of every false x-kubernetes-validations rule in a custom resource (metadata excluded). */
export function evaluateRules(schema: Schema, obj: Record<string, V>): StatusCause[] {
  const out: StatusCause[] = [];
  const { metadata: _m, ...rest } = obj;
  walk({ ...schema, 'x-kubernetes-validations': (schema['x-kubernetes-validations'] ?? []).filter(() => true) }, rest, '', out);
  return out.map((c) => ({ ...c, field: c.field === '' ? '<nil>' : c.field }));
}
