// OpenAPI v3 documents, pure, with what kubectl reads from them: per group-version, the paths of
// each resource with `x-kubernetes-group-version-kind` and the query parameters of PATCH (kubectl
// sends `fieldValidation=Strict` only when PATCH lists it), and component schemas (the CRD's
// structural schema; built-ins as open objects).
import { createHash } from 'node:crypto';
import type { Registry } from './registry.js';
import { apiVersionOf, type ResourceType } from './types.js';

const QUERY = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'].map((name) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string' }, uniqueItems: true }));

const gvPath = (group: string, version: string) => (group === '' ? `api/${version}` : `apis/${group}/${version}`);

function schemaName(r: ResourceType): string {
  const g = r.group === '' ? 'io.k8s.api.core' : r.group.split('.').reverse().join('.');
  return `${g}.${r.version}.${r.kind}`;
}

function paths(r: ResourceType): Record<string, object> {
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const ref = { $ref: `#/components/schemas/${schemaName(r)}` };
  const json = (schema: object) => ({ 'application/json': { schema } });
  const op = (id: string, extra: object = {}) => ({ operationId: id, 'x-kubernetes-group-version-kind': gvk, 'x-kubernetes-action': id, responses: { '200': { description: 'OK', content: json(ref) } }, ...extra });
  const base = `/${gvPath(r.group, r.version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
  const one = {
    get: op('get'),
    put: op('put', { parameters: QUERY.filter((q) => q.name !== 'force') }),
    patch: op('patch', { parameters: QUERY }),
    delete: op('delete'),
  };
  const out: Record<string, object> = { [base]: { get: op('list'), post: op('post', { parameters: QUERY.filter((q) => q.name !== 'force') }) }, [`${base}/{name}`]: one };
  if (r.status) out[`${base}/{name}/status`] = one;
  return out;
}

function schemaOf(r: ResourceType): object {
  const gvk = [{ group: r.group, version: r.version, kind: r.kind }];
  const s = r.schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return { ...s, 'x-kubernetes-group-version-kind': gvk };
}

/** GET /openapi/v3/<gv path>, undefined when the group-version is not served. */
export function openapiV3Doc(reg: Registry, path: string): object | undefined {
  const rs = reg.all().filter((r) => gvPath(r.group, r.version) === path);
  if (rs.length === 0) return undefined;
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: Object.assign({}, ...rs.map(paths)),
    components: { schemas: Object.fromEntries(rs.map((r) => [schemaName(r), schemaOf(r)])) },
  };
}

/** GET /openapi/v3: every group-version with a content hash, so clients re-fetch after a CRD change. */
export function openapiV3Root(reg: Registry): object {
  const gvs = new Map<string, ResourceType[]>();
  for (const r of reg.all()) gvs.set(gvPath(r.group, r.version), [...(gvs.get(gvPath(r.group, r.version)) ?? []), r]);
  const out: Record<string, { serverRelativeURL: string }> = {};
  for (const [p, rs] of gvs) {
    const hash = createHash('sha512').update(JSON.stringify(rs.map((r) => [apiVersionOf(r), r.kind, r.schema ?? null]))).digest('hex').slice(0, 128).toUpperCase();
    out[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hash}` };
  }
  return { paths: out };
}
