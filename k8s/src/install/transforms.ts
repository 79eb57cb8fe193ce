// The kustomize transformers the bundle uses, as pure functions over plain objects, with the
// semantics kubectl's kustomize (v5) has for them: namespace, images, JSON 6902 patches, and the
// legacy output order. Each returns new objects; inputs are not modified.
import { INSTALL_ERROR_CODES, InstallError } from './errors.js';

/** A Kubernetes object as parsed from YAML. */
export type KObject = Record<string, unknown> & { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } & Record<string, unknown> };

/** One `images:` entry of a kustomization. */
export interface ImageOverride { name: string; newName?: string; newTag?: string; digest?: string }

/** One JSON 6902 operation. */
export interface PatchOp { op: 'add' | 'remove' | 'replace' | 'test'; path: string; value?: unknown }

/** A patch target: every field given must match. */
export interface PatchTarget { group?: string; version?: string; kind?: string; name?: string; namespace?: string }

const CLUSTER_SCOPED = new Set([
  'Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'PersistentVolume',
  'StorageClass', 'PriorityClass', 'APIService', 'CSIDriver', 'IngressClass', 'RuntimeClass', 'Node',
]);

// kustomize's legacy order: these kinds first in this order, the webhook configurations last
// (their services must exist first), every other kind between them by group/version/kind.
const ORDER_FIRST = ['Namespace', 'ResourceQuota', 'StorageClass', 'CustomResourceDefinition', 'ServiceAccount', 'PodSecurityPolicy', 'Role',
  'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'Endpoints', 'Service', 'LimitRange', 'PriorityClass',
  'PersistentVolume', 'PersistentVolumeClaim', 'Deployment', 'StatefulSet', 'CronJob', 'PodDisruptionBudget'];
const ORDER_LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

const clone = <T>(v: T): T => structuredClone(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether kustomize treats `kind` as cluster-scoped (unknown kinds count as namespaced). */
export function isClusterScoped(kind: string | undefined): boolean {
  return kind !== undefined && CLUSTER_SCOPED.has(kind);
}

/** The namespace transformer: namespaced objects, the Namespace object, ServiceAccount subjects of bindings, and webhook services. */
export function setNamespace(objects: KObject[], namespace: string): KObject[] {
  // A binding subject moves with a ServiceAccount of the bundle (matched by name and old namespace), or when it is `default`.
  const accounts = new Set(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`));
  return objects.map((original) => {
    const o = clone(original);
    o.metadata ??= {};
    if (o.kind === 'Namespace') o.metadata.name = namespace;
    else if (!isClusterScoped(o.kind)) o.metadata.namespace = namespace;
    // kustomize moves the Service a webhook configuration calls along with the namespace.
    if ((o.kind === 'ValidatingWebhookConfiguration' || o.kind === 'MutatingWebhookConfiguration') && Array.isArray(o.webhooks)) {
      for (const w of o.webhooks as { clientConfig?: { service?: { namespace?: string } } }[]) if (w.clientConfig?.service) w.clientConfig.service.namespace = namespace;
    }
    if ((o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') && Array.isArray(o.subjects)) {
      for (const s of o.subjects as Record<string, unknown>[]) {
        if (s.kind !== 'ServiceAccount') continue;
        if (s.name === 'default' || accounts.has(`${String(s.namespace ?? '')}/${String(s.name)}`)) s.namespace = namespace;
      }
    }
    return o;
  });
}

/** Splits an image reference into name, tag and digest (`reg:5000/a/b:tag@sha256:…`). */
export function parseImage(ref: string): { name: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > rest.lastIndexOf('/');
  return { name: hasTag ? rest.slice(0, colon) : rest, tag: hasTag ? rest.slice(colon + 1) : undefined, digest };
}

function overrideImage(ref: string, images: ImageOverride[]): string {
  const cur = parseImage(ref);
  const rule = images.find((i) => i.name === cur.name);
  if (!rule) return ref;
  const name = rule.newName ?? cur.name;
  if (rule.digest !== undefined) return `${name}@${rule.digest}`;
  if (rule.newTag !== undefined) return `${name}:${rule.newTag}`;
  return `${name}${cur.tag !== undefined ? `:${cur.tag}` : ''}${cur.digest !== undefined ? `@${cur.digest}` : ''}`;
}

function walkContainers(node: unknown, images: ImageOverride[]): void {
  if (Array.isArray(node)) {
    for (const n of node) walkContainers(n, images);
    return;
  }
  if (!isObject(node)) return;
  for (const [k, v] of Object.entries(node)) {
    if ((k === 'containers' || k === 'initContainers') && Array.isArray(v)) {
      for (const c of v) if (isObject(c) && typeof c.image === 'string') c.image = overrideImage(c.image, images);
    }
    walkContainers(v, images);
  }
}

/** The images transformer: rewrites `image` of every container and init container whose image name matches. */
export function setImages(objects: KObject[], images: ImageOverride[]): KObject[] {
  return objects.map((original) => {
    const o = clone(original);
    walkContainers(o, images);
    return o;
  });
}

function groupVersion(apiVersion: string | undefined): { group: string; version: string } {
  const v = apiVersion ?? '';
  const slash = v.indexOf('/');
  return slash < 0 ? { group: '', version: v } : { group: v.slice(0, slash), version: v.slice(slash + 1) };
}

/** Whether `o` is selected by `target`. */
export function matchesTarget(o: KObject, target: PatchTarget): boolean {
  const gv = groupVersion(o.apiVersion);
  return (target.group === undefined || target.group === gv.group) && (target.version === undefined || target.version === gv.version) &&
    (target.kind === undefined || target.kind === o.kind) && (target.name === undefined || target.name === o.metadata?.name) &&
    (target.namespace === undefined || target.namespace === o.metadata?.namespace);
}

function pointer(path: string): string[] {
  if (!path.startsWith('/')) throw new InstallError(INSTALL_ERROR_CODES.invalid, `JSON patch path ${JSON.stringify(path)} must start with /`);
  return path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function applyOp(doc: KObject, op: PatchOp, where: string): void {
  const tokens = pointer(op.path);
  const last = tokens.pop() as string;
  let parent: unknown = doc;
  for (const t of tokens) {
    parent = Array.isArray(parent) ? parent[Number(t)] : isObject(parent) ? parent[t] : undefined;
    if (parent === undefined) throw new InstallError(INSTALL_ERROR_CODES.invalid, `${where}: ${op.op} ${op.path}: no such path`);
  }
  const fail = (why: string): never => {
    throw new InstallError(INSTALL_ERROR_CODES.invalid, `${where}: ${op.op} ${op.path}: ${why}`);
  };
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) fail('index out of range');
    if (op.op === 'add') parent.splice(i, 0, clone(op.value));
    else if (i >= parent.length) fail('no such element');
    else if (op.op === 'remove') parent.splice(i, 1);
    else if (op.op === 'replace') parent[i] = clone(op.value);
    else if (JSON.stringify(parent[i]) !== JSON.stringify(op.value)) fail('test failed');
    return;
  }
  if (!isObject(parent)) return fail('parent is not an object or array');
  if (op.op !== 'add' && !(last in parent)) fail('no such field');
  if (op.op === 'remove') delete parent[last];
  else if (op.op === 'add' || op.op === 'replace') parent[last] = clone(op.value);
  else if (JSON.stringify(parent[last]) !== JSON.stringify(op.value)) fail('test failed');
}

/** Applies JSON 6902 `ops` to every object `target` selects; `where` names the patch in errors. */
export function applyJsonPatch(objects: KObject[], target: PatchTarget, ops: PatchOp[], where: string): KObject[] {
  let hits = 0;
  const out = objects.map((o) => {
    if (!matchesTarget(o, target)) return o;
    hits += 1;
    const copy = clone(o);
    for (const op of ops) applyOp(copy, op, where);
    return copy;
  });
  if (hits === 0) throw new InstallError(INSTALL_ERROR_CODES.invalid, `${where}: the target ${JSON.stringify(target)} selects no object`);
  return out;
}

// Byte order, as Go compares strings (localeCompare would depend on the locale).
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function rank(kind: string | undefined): number {
  const first = ORDER_FIRST.indexOf(kind ?? '');
  if (first >= 0) return first;
  const last = ORDER_LAST.indexOf(kind ?? '');
  return last >= 0 ? ORDER_FIRST.length + 1 + last : ORDER_FIRST.length;
}

/** Objects in kustomize's legacy output order (kind rank, then group/version/kind, namespace, name). */
export function legacySort(objects: KObject[]): KObject[] {
  const key = (o: KObject): string => `${groupVersion(o.apiVersion).group}/${groupVersion(o.apiVersion).version}/${o.kind ?? ''}`;
  return [...objects].sort((a, b) => rank(a.kind) - rank(b.kind) || cmp(key(a), key(b)) ||
    cmp(a.metadata?.namespace ?? '', b.metadata?.namespace ?? '') || cmp(a.metadata?.name ?? '', b.metadata?.name ?? ''));
}
