// Label and field selectors as the API server parses them (k8s.io/apimachinery labels.Parse and
// fields.ParseSelector): pure parse and match, errors as messages for a 400 Status.

/** One requirement of a label selector. */
export type LabelRequirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'gt' | 'lt'; value: number };

/** A parsed selector or the reason it does not parse. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside a parenthesised set. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function checkKey(key: string): string | undefined {
  return KEY.test(key) && key.length <= 316 ? undefined : `invalid label key "${key}"`;
}

function checkValue(v: string): string | undefined {
  return VALUE.test(v) && v.length <= 63 ? undefined : `invalid label value: "${v}"`;
}

function parseOne(raw: string): Parsed<LabelRequirement> {
  const s = raw.trim();
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(s);
  if (set) {
    const values = set[3].split(',').map((v) => v.trim()).filter((v) => v !== '');
    const bad = checkKey(set[1]) ?? values.map(checkValue).find((m) => m !== undefined);
    if (bad) return { ok: false, message: bad };
    return { ok: true, value: { key: set[1], op: set[2] as 'in' | 'notin', values } };
  }
  const cmp = /^([^!=<>\s]+)\s*(==|=|!=|<|>)\s*(.*)$/.exec(s);
  if (cmp) {
    const [, key, op, value] = cmp;
    const bad = checkKey(key);
    if (bad) return { ok: false, message: bad };
    if (op === '<' || op === '>') {
      const n = Number(value);
      if (!/^-?\d+$/.test(value)) return { ok: false, message: `for 'Gt', 'Lt' operators, the value must be an integer` };
      return { ok: true, value: { key, op: op === '>' ? 'gt' : 'lt', value: n } };
    }
    const badV = checkValue(value.trim());
    if (badV) return { ok: false, message: badV };
    return { ok: true, value: { key, op: op === '!=' ? '!=' : '=', value: value.trim() } };
  }
  if (s.startsWith('!')) {
    const key = s.slice(1).trim();
    const bad = checkKey(key);
    return bad ? { ok: false, message: bad } : { ok: true, value: { key, op: 'notexists' } };
  }
  const bad = checkKey(s);
  return bad ? { ok: false, message: `unable to parse requirement: ${bad}` } : { ok: true, value: { key: s, op: 'exists' } };
}

/** Parses a `labelSelector` query value ('' selects everything). */
export function parseLabelSelector(s: string): Parsed<LabelRequirement[]> {
  if (s.trim() === '') return { ok: true, value: [] };
  const out: LabelRequirement[] = [];
  for (const part of splitTop(s)) {
    const r = parseOne(part);
    if (!r.ok) return r;
    out.push(r.value);
  }
  return { ok: true, value: out };
}

/** Whether labels satisfy every requirement. */
export function matchLabels(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'exists':
        return has;
      case 'notexists':
        return !has;
      case '=':
        return has && v === r.value;
      case '!=':
        return !has || v !== r.value;
      case 'in':
        return has && r.values.includes(v);
      case 'notin':
        return !has || !r.values.includes(v);
      case 'gt':
        return has && /^-?\d+$/.test(v) && Number(v) > r.value;
      case 'lt':
        return has && /^-?\d+$/.test(v) && Number(v) < r.value;
    }
  });
}

/** A metav1.LabelSelector (matchLabels + matchExpressions) as the string form. */
export function formatLabelSelector(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(',')})`);
  }
  return parts.join(',');
}

/** One requirement of a field selector. */
export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Fields each kind can be selected on, besides metadata.name and metadata.namespace. */
const FIELDS: Record<string, string[]> = {
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  Event: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  Secret: ['type'],
  Namespace: ['status.phase'],
  Node: ['spec.unschedulable'],
};

/** Parses a `fieldSelector` for a kind; unsupported fields are refused as the server does. */
export function parseFieldSelector(s: string, kind: string): Parsed<FieldRequirement[]> {
  if (s.trim() === '') return { ok: true, value: [] };
  const out: FieldRequirement[] = [];
  const allowed = ['metadata.name', 'metadata.namespace', ...(FIELDS[kind] ?? [])];
  for (const part of s.split(',')) {
    const m = /^\s*([^!=\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) return { ok: false, message: `invalid selector: '${s}'; can't understand '${part}'` };
    if (!allowed.includes(m[1])) return { ok: false, message: `field label not supported: ${m[1]}` };
    out.push({ field: m[1], op: m[2] === '!=' ? '!=' : '=', value: m[3] });
  }
  return { ok: true, value: out };
}

function fieldValue(obj: Record<string, unknown>, path: string): string {
  let cur: unknown = obj;
  for (const p of path.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
  if (path === 'source' && cur && typeof cur === 'object') cur = (cur as { component?: string }).component;
  return cur === undefined || cur === null ? '' : String(cur);
}

/** Whether an object satisfies every field requirement. */
export function matchFields(reqs: FieldRequirement[], obj: Record<string, unknown>): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) === (r.op === '='));
}
