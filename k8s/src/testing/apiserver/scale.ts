// The scale subresource, pure: an object seen as autoscaling/v1 Scale through its
// specReplicasPath/statusReplicasPath/labelSelectorPath, and a Scale's replicas written back.
import { fail } from './status.js';
import type { KObject, ScaleSubresource } from './types.js';

const segments = (path: string) => path.replace(/^\./, '').split('.');

function read(o: KObject, path: string): unknown {
  let cur: unknown = o;
  for (const s of segments(path)) cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[s] : undefined;
  return cur;
}

/** The Scale view of an object. */
export function toScale(o: KObject, sc: ScaleSubresource): KObject {
  const m = o.metadata ?? {};
  const replicas = read(o, sc.specReplicasPath);
  const status = read(o, sc.statusReplicasPath);
  const selector = sc.labelSelectorPath ? read(o, sc.labelSelectorPath) : undefined;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: typeof replicas === 'number' ? { replicas } : {},
    status: { replicas: typeof status === 'number' ? status : 0, ...(typeof selector === 'string' ? { selector } : {}) },
  };
}

/** The object with the Scale's spec.replicas written at specReplicasPath (and its resourceVersion precondition). */
export function fromScale(o: KObject, scale: KObject, sc: ScaleSubresource): KObject {
  const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw fail.invalid({ group: 'autoscaling', kind: 'Scale', name: o.metadata?.name }, [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0` }]);
  }
  const next = structuredClone(o);
  const segs = segments(sc.specReplicasPath);
  let cur = next as Record<string, unknown>;
  for (const s of segs.slice(0, -1)) cur = (cur[s] ??= {}) as Record<string, unknown>;
  cur[segs[segs.length - 1]] = replicas;
  const rv = scale.metadata?.resourceVersion;
  next.metadata = { ...next.metadata, resourceVersion: rv === undefined || rv === '' ? undefined : rv };
  return next;
}
