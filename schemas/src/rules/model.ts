// Cross-field rules of Model that JSON Schema cannot express.
import { parseDurationMs } from '../duration.js';
import type { ValidationIssue } from '../issues.js';
import { childPath } from '../paths.js';
import { policySpecRules } from './autoscaling.js';
import { arr, minNotAboveMax, obj, str, uniqueBy, type Obj } from './util.js';

/** An inline autoscalingPolicy and an autoscalingPolicyRef exclude each other. */
function policyRules(holder: Obj, path: string): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  if (holder.autoscalingPolicy !== undefined && holder.autoscalingPolicyRef !== undefined) {
    out.push({ path: childPath(path, 'autoscalingPolicyRef'), message: 'set autoscalingPolicy (inline) or autoscalingPolicyRef (a name), not both' });
  }
  if (holder.autoscalingPolicy !== undefined) out.push(...policySpecRules(holder.autoscalingPolicy, childPath(path, 'autoscalingPolicy')));
  return out;
}

const MAX_SCALE_TO_ZERO_MS = 1_800_000;

function workerRules(backend: Obj, path: string): ValidationIssue[] {
  const types = arr(backend.workers).map((w) => str(obj(w)?.type));
  const has = (t: string): boolean => types.includes(t);
  const where = childPath(path, 'workers');
  switch (backend.type) {
    case 'vLLM':
      return has('prefill') || has('decode')
        ? [{ path: where, message: 'backend type vLLM runs "server" workers only; use type vLLMDisaggregated for prefill/decode' }]
        : [];
    case 'vLLMDisaggregated':
      return has('server') || !has('prefill') || !has('decode')
        ? [{ path: where, message: 'backend type vLLMDisaggregated needs at least one "prefill" and one "decode" worker and no "server" worker' }]
        : [];
    case 'SGLang':
      return has('server') && (has('prefill') || has('decode'))
        ? [{ path: where, message: 'backend type SGLang runs either "server" workers or "prefill" plus "decode" workers, not both' }]
        : has('prefill') !== has('decode')
          ? [{ path: where, message: 'prefill and decode workers come in pairs: add the missing one' }]
          : [];
    case 'Triton':
    case 'TorchServe': {
      const out: ValidationIssue[] = [];
      if (has('prefill') || has('decode')) out.push({ path: where, message: `backend type ${String(backend.type)} runs "server" workers only (no prefill/decode disaggregation)` });
      if (arr(backend.workers).some((w) => (obj(w)?.pods ?? 1) !== 1)) out.push({ path: where, message: `backend type ${String(backend.type)} runs one pod per engine (pods: 1)` });
      if (backend.loraAdapters !== undefined) out.push({ path: childPath(path, 'loraAdapters'), message: `backend type ${String(backend.type)} has no LoRA adapter API; remove loraAdapters` });
      return out;
    }
    default:
      return [];
  }
}

/**
 * workers[].config is untyped in the CRD (as in MatrixInfer) but becomes engine flags, so it is
 * an object of flag name -> string, number, boolean, null, list or object.
 */
function configRules(backend: Obj, path: string): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  arr(backend.workers).forEach((w, i) => {
    const config = obj(w)?.config;
    if (config === undefined) return;
    const where = childPath(path, 'workers', i, 'config');
    const flags = obj(config);
    if (!flags) {
      const got = config === null ? 'null' : Array.isArray(config) ? 'a list' : `a ${typeof config}`;
      out.push({ path: where, message: `must be an object of engine flags (e.g. {"max-model-len": 8192}), got ${got}` });
      return;
    }
    for (const key of Object.keys(flags)) {
      if (key.trim() === '') out.push({ path: where, message: 'engine flag names must not be empty' });
    }
  });
  return out;
}

/** modelLifecycle: Triton and TorchServe only; workers and archives are TorchServe's; max >= min. */
function lifecycleRules(backend: Obj, path: string): ValidationIssue[] {
  if (backend.modelLifecycle === undefined) return [];
  if (backend.type !== 'Triton' && backend.type !== 'TorchServe') {
    return [{ path: childPath(path, 'modelLifecycle'), message: `backend type ${String(backend.type)} has no model lifecycle API (Triton and TorchServe have one); remove modelLifecycle` }];
  }
  const out: ValidationIssue[] = [];
  const life = obj(backend.modelLifecycle);
  if (backend.type === 'Triton') {
    for (const k of ['minWorkers', 'maxWorkers']) if (life?.[k] !== undefined) out.push({ path: childPath(path, 'modelLifecycle', k), message: 'Triton has no worker API (TorchServe only); remove it' });
    for (const [i, m] of arr(life?.models).entries()) if (obj(m)?.archive !== undefined) out.push({ path: childPath(path, 'modelLifecycle', 'models', i, 'archive'), message: 'Triton loads repository models by name (archive is TorchServe only); remove it' });
  }
  const min = typeof life?.minWorkers === 'number' ? life.minWorkers : 1;
  if (typeof life?.maxWorkers === 'number' && life.maxWorkers < min) out.push({ path: childPath(path, 'modelLifecycle', 'maxWorkers'), message: `must not be less than minWorkers (${min})` });
  out.push(...uniqueBy(arr(life?.models), 'name', childPath(path, 'modelLifecycle', 'models'), 'lifecycle model name'));
  return out;
}

function backendRules(backend: Obj, path: string): ValidationIssue[] {
  const out = [...minNotAboveMax(backend, path), ...workerRules(backend, path), ...policyRules(backend, path), ...configRules(backend, path), ...lifecycleRules(backend, path)];
  const grace = str(backend.scaleToZeroGracePeriod);
  const ms = grace === undefined ? undefined : parseDurationMs(grace);
  if (ms !== undefined && ms > MAX_SCALE_TO_ZERO_MS) {
    out.push({ path: childPath(path, 'scaleToZeroGracePeriod'), message: `must be at most 1800s (got "${grace}")` });
  }
  out.push(...uniqueBy(arr(backend.loraAdapters), 'name', childPath(path, 'loraAdapters'), 'LoRA adapter name'));
  return out;
}

/** Model rules: unique backend names, min <= max, worker types fit the backend type, grace <= 1800s. */
export function modelRules(doc: Obj): ValidationIssue[] {
  const backends = arr(obj(doc.spec)?.backends);
  const spec = obj(doc.spec);
  const out = [...uniqueBy(backends, 'name', 'spec.backends', 'backend name'), ...(spec ? policyRules(spec, 'spec') : [])];
  backends.forEach((b, i) => {
    const backend = obj(b);
    if (backend) out.push(...backendRules(backend, childPath('spec.backends', i)));
  });
  const weights = backends.map((b) => obj(b)?.routeWeight);
  if (weights.length > 0 && weights.every((w) => w === 0)) {
    out.push({ path: 'spec.backends', message: 'every backend has routeWeight 0: no backend would receive traffic' });
  }
  return out;
}
