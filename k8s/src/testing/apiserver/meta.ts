// Object metadata rules of the real server, pure: name formats, what a create fills in, which
// changes bump metadata.generation, and the per-kind defaults kubectl output relies on.
import type { StatusCause } from './status.js';
import type { KObject, ResourceType } from './types.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_KINDS = new Set(['Namespace', 'Service']);

/** Field errors of metadata.name (after generateName was resolved). */
export function nameProblems(rt: Pick<ResourceType, 'kind'>, name: string | undefined): StatusCause[] {
  if (!name) return [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }];
  if (LABEL_KINDS.has(rt.kind)) {
    if (name.length > 63 || !DNS_LABEL.test(name)) {
      return [{ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')` }];
    }
    return [];
  }
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    return [{ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')` }];
  }
  return [];
}

/** Kinds whose objects carry metadata.generation (spec-bearing ones). */
function hasGeneration(rt: Pick<ResourceType, 'kind' | 'builtin'>): boolean {
  return !rt.builtin || ['Deployment', 'StatefulSet', 'PodDisruptionBudget', 'CustomResourceDefinition', 'Pod', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'].includes(rt.kind);
}

/** The part of an object whose change bumps generation: all but metadata (and status when it is a subresource). */
function specPart(rt: Pick<ResourceType, 'status'>, o: KObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return JSON.stringify(rt.status ? rest : { ...rest, status: _s });
}

/** The generation a write from old (undefined = create) to next stores. */
export function nextGeneration(rt: Pick<ResourceType, 'kind' | 'builtin' | 'status'>, old: KObject | undefined, next: KObject): number | undefined {
  if (!hasGeneration(rt)) return undefined;
  if (!old) return 1;
  const g = old.metadata?.generation ?? 1;
  return specPart(rt, old) === specPart(rt, next) ? g : g + 1;
}

/** RFC 3339 at second precision, as metav1.Time serialises. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Defaults the real server's built-in defaulting and strategies set on create, for the fields clients read back. */
export function builtinCreateDefaults(rt: Pick<ResourceType, 'kind' | 'builtin'>, o: KObject, allocateIp: () => string): void {
  if (!rt.builtin) return;
  const spec = (o.spec ??= {}) as Record<string, unknown>;
  if (rt.kind === 'Pod') {
    spec.restartPolicy ??= 'Always';
    spec.terminationGracePeriodSeconds ??= 30;
    spec.dnsPolicy ??= 'ClusterFirst';
    spec.schedulerName ??= 'default-scheduler';
    for (const c of (spec.containers ?? []) as Record<string, unknown>[]) {
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      c.imagePullPolicy ??= String(c.image ?? '').endsWith(':latest') || !String(c.image ?? '').includes(':') ? 'Always' : 'IfNotPresent';
      for (const p of (c.ports ?? []) as Record<string, unknown>[]) p.protocol ??= 'TCP';
    }
    o.status = { phase: 'Pending', qosClass: 'BestEffort' };
  } else if (rt.kind === 'Service') {
    spec.type ??= 'ClusterIP';
    spec.sessionAffinity ??= 'None';
    if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = allocateIp();
    spec.clusterIPs ??= [spec.clusterIP];
    for (const p of (spec.ports ?? []) as Record<string, unknown>[]) {
      p.protocol ??= 'TCP';
      p.targetPort ??= p.port;
    }
    o.status = { loadBalancer: {} };
  } else if (rt.kind === 'Deployment' || rt.kind === 'StatefulSet') {
    spec.replicas ??= 1;
    if (rt.kind === 'Deployment') spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
    spec.revisionHistoryLimit ??= 10;
  } else if (rt.kind === 'Namespace') {
    o.spec = { finalizers: ['kubernetes'], ...(o.spec as object) };
    o.status = { phase: 'Active' };
    o.metadata!.labels = { ...o.metadata!.labels, 'kubernetes.io/metadata.name': o.metadata!.name! };
  } else if (Object.keys(spec).length === 0) delete o.spec;
}
