// Cross-field rules of ModelServer and ModelRoute.
import type { ValidationIssue } from '../issues.js';
import { childPath } from '../paths.js';
import { arr, obj, uniqueBy, uniqueStrings, type Obj } from './util.js';

function sameLabels(a: Obj, b: Obj): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** ModelServer rules: prefill and decode selectors must tell the two roles apart. */
export function modelServerRules(doc: { spec?: unknown }): ValidationIssue[] {
  const pd = obj(obj(obj(doc.spec)?.workloadSelector)?.pdGroup);
  const prefill = obj(pd?.prefillLabels);
  const decode = obj(pd?.decodeLabels);
  const out: ValidationIssue[] = [];
  const base = 'spec.workloadSelector.pdGroup';
  if (prefill && Object.keys(prefill).length === 0) out.push({ path: `${base}.prefillLabels`, message: 'must have at least one label' });
  if (decode && Object.keys(decode).length === 0) out.push({ path: `${base}.decodeLabels`, message: 'must have at least one label' });
  if (prefill && decode && Object.keys(prefill).length > 0 && sameLabels(prefill, decode)) {
    out.push({ path: `${base}.decodeLabels`, message: 'must differ from prefillLabels, or every pod would be both prefill and decode' });
  }
  out.push(...uniqueBy(arr(obj(doc.spec)?.loraAdapters), 'name', 'spec.loraAdapters', 'LoRA adapter name'));
  return out;
}

function weightRules(targets: unknown[], path: string): ValidationIssue[] {
  const weights = targets.map((t) => obj(t)?.weight);
  const set = weights.filter((w) => w !== undefined).length;
  if (set === 0) return [];
  const out: ValidationIssue[] = [];
  if (set < targets.length) {
    weights.forEach((w, j) => {
      if (w === undefined) {
        out.push({ path: childPath(path, j, 'weight'), message: 'is required because other targets of this rule set a weight (set weights on all targets or on none)' });
      }
    });
  } else if (weights.every((w) => w === 0)) {
    out.push({ path, message: 'all weights are 0: no target would receive traffic' });
  }
  return out;
}

/** Longest regular expression a route match may carry. */
export const MAX_REGEX_LENGTH = 1024;

function matchRules(match: Obj | undefined, path: string): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const check = (m: unknown, at: string): void => {
    const regex = obj(m)?.regex;
    if (typeof regex !== 'string') return;
    // Compiling is the one place user text becomes a regular expression, and V8's regexp compiler
    // aborts the whole process (not a catchable error) when it runs out of memory: a resource
    // fuzz run in CI aborted there once, cause not proven. The length is capped before compiling,
    // at the cap Gateway API puts on paths.
    if (regex.length > MAX_REGEX_LENGTH) {
      out.push({ path: childPath(at, 'regex'), message: `is ${regex.length} characters long; at most ${MAX_REGEX_LENGTH} are allowed` });
      return;
    }
    try {
      new RegExp(regex);
    } catch (e) {
      out.push({ path: childPath(at, 'regex'), message: `is not a valid regular expression: ${(e as Error).message}` });
    }
  };
  for (const [name, m] of Object.entries(obj(match?.headers) ?? {})) check(m, childPath(path, 'headers', name));
  check(match?.uri, childPath(path, 'uri'));
  return out;
}

/** ModelRoute rules: a name to route, unique rules/adapters/targets, weights on all targets or none. */
export function modelRouteRules(doc: { spec?: unknown }): ValidationIssue[] {
  const spec = obj(doc.spec);
  if (!spec) return [];
  const adapters = arr(spec.loraAdapters);
  const out: ValidationIssue[] = [];
  if (spec.modelName === undefined && adapters.length === 0) {
    out.push({ path: 'spec.modelName', message: 'is required unless spec.loraAdapters lists at least one adapter' });
  }
  out.push(...uniqueStrings(adapters, 'spec.loraAdapters', 'LoRA adapter'));
  const rules = arr(spec.rules);
  out.push(...uniqueBy(rules, 'name', 'spec.rules', 'rule name'));
  rules.forEach((r, i) => {
    const rule = obj(r);
    if (!rule) return;
    const targets = arr(rule.targetModels);
    const path = childPath('spec.rules', i, 'targetModels');
    out.push(...uniqueBy(targets, 'modelServerName', path, 'target modelServerName'));
    out.push(...weightRules(targets, path));
    out.push(...matchRules(obj(rule.modelMatch), childPath('spec.rules', i, 'modelMatch')));
  });
  const limit = obj(spec.rateLimit);
  if (limit && limit.inputTokensPerUnit === undefined && limit.outputTokensPerUnit === undefined) {
    out.push({ path: 'spec.rateLimit', message: 'must set inputTokensPerUnit, outputTokensPerUnit or both' });
  }
  return out;
}
