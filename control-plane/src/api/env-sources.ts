// Environment of an engine process from its env[] and envFrom[] as Kubernetes builds it:
// envFrom sources in order (a later one wins), then env[] entries (which win over envFrom).
// Secret and ConfigMap values come from the objects `mi apply` stored (core-store.ts).
import type { EnvFromSource, EnvVar } from '@matrixinfer/schemas';
import { ControlPlaneError } from '../errors.js';
import type { CoreKind, CoreObject } from './core-objects.js';
import type { CoreObjectReader } from './core-store.js';

/** A Secret, ConfigMap or key that env[] or envFrom[] needs is missing (and not `optional`). */
export class MissingEnvSourceError extends ControlPlaneError {
  override name = 'MissingEnvSourceError';
  readonly kind: CoreKind;
  readonly namespace: string;
  readonly objectName: string;
  readonly key?: string;
  constructor(kind: CoreKind, namespace: string, objectName: string, key?: string, variable?: string) {
    const what = key === undefined ? `${kind} ${namespace}/${objectName}` : `key "${key}" of ${kind} ${namespace}/${objectName}`;
    const forVar = variable === undefined ? '' : ` (for ${variable})`;
    super('MI_ERR_ENV_SOURCE_MISSING', `${what} does not exist${forVar}; apply it (mi apply -f) or mark the reference optional`);
    this.kind = kind;
    this.namespace = namespace;
    this.objectName = objectName;
    this.key = key;
  }
}

/** Looks up a stored object synchronously (from a snapshot). */
export type CoreObjectLookup = (kind: CoreKind, namespace: string, name: string) => CoreObject | undefined;

/**
 * The variables env[] and envFrom[] define, with Secret/ConfigMap values from `lookup`.
 * MissingEnvSourceError for a missing object or key unless its reference is `optional`.
 * fieldRef/resourceFieldRef entries are not resolved here (they describe the pod, which the
 * caller knows): they are left out of the result.
 */
export function resolveEnvSources(namespace: string, env: readonly EnvVar[], envFrom: readonly EnvFromSource[], lookup: CoreObjectLookup): Record<string, string> {
  const out: Record<string, string> = {};
  for (const src of envFrom) {
    const [kind, ref] = src.secretRef ? (['Secret', src.secretRef] as const) : src.configMapRef ? (['ConfigMap', src.configMapRef] as const) : [undefined, undefined];
    if (!kind || !ref) continue;
    const o = lookup(kind, namespace, ref.name ?? '');
    if (!o) {
      if (ref.optional === true) continue;
      throw new MissingEnvSourceError(kind, namespace, ref.name ?? '');
    }
    for (const [k, v] of Object.entries(o.data)) out[`${src.prefix ?? ''}${k}`] = v;
  }
  for (const e of env) {
    if (e.value !== undefined || !e.valueFrom) {
      out[e.name] = e.value ?? '';
      continue;
    }
    const vf = e.valueFrom;
    const [kind, sel] = vf.secretKeyRef ? (['Secret', vf.secretKeyRef] as const) : vf.configMapKeyRef ? (['ConfigMap', vf.configMapKeyRef] as const) : [undefined, undefined];
    if (!kind || !sel) {
      // fieldRef / resourceFieldRef: an earlier value of the same name no longer applies.
      delete out[e.name];
      continue;
    }
    const o = lookup(kind, namespace, sel.name ?? '');
    const value = o?.data[sel.key];
    if (value === undefined) {
      delete out[e.name];
      if (sel.optional === true) continue;
      throw new MissingEnvSourceError(kind, namespace, sel.name ?? '', o ? sel.key : undefined, e.name);
    }
    out[e.name] = value;
  }
  return out;
}

/** resolveEnvSources over a store: reads every object referenced once, then resolves. */
export async function loadEnvSources(store: CoreObjectReader, namespace: string, env: readonly EnvVar[], envFrom: readonly EnvFromSource[]): Promise<Record<string, string>> {
  const wanted = new Map<string, [CoreKind, string]>();
  const want = (kind: CoreKind, name: string | undefined) => wanted.set(`${kind}/${name ?? ''}`, [kind, name ?? '']);
  for (const s of envFrom) {
    if (s.secretRef) want('Secret', s.secretRef.name);
    else if (s.configMapRef) want('ConfigMap', s.configMapRef.name);
  }
  for (const e of env) {
    if (e.value !== undefined) continue;
    if (e.valueFrom?.secretKeyRef) want('Secret', e.valueFrom.secretKeyRef.name);
    else if (e.valueFrom?.configMapKeyRef) want('ConfigMap', e.valueFrom.configMapKeyRef.name);
  }
  const found = new Map<string, CoreObject>();
  for (const [key, [kind, name]] of wanted) {
    const o = name === '' ? null : await store.get(kind, namespace, name);
    if (o) found.set(key, o);
  }
  return resolveEnvSources(namespace, env, envFrom, (kind, _ns, name) => found.get(`${kind}/${name}`));
}
