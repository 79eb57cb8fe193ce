// Discovery documents (legacy, non-aggregated: kubectl falls back to them when the answer is
// plain application/json), pure: /api, /apis, /apis/<group> and each group-version's resource
// list with subresources, verbs, short names and categories.
import type { Registry } from './registry.js';
import { apiVersionOf, type ResourceType } from './types.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The version reported at /version (kubectl warns on skew beyond one minor). */
export const SERVER_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0', gitCommit: 'matrixinfer-test-apiserver', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.23', compiler: 'gc', platform: 'linux/amd64' };

/** GET /api. */
export function apiVersions(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupEntry(g: { group: string; versions: string[] }): object {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v }));
  return { name: g.group, versions, preferredVersion: versions[0] };
}

/** GET /apis. */
export function apiGroupList(reg: Registry): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: reg.groups().filter((g) => g.group !== '').map(groupEntry) };
}

/** GET /apis/<group>, undefined when the group is not served. */
export function apiGroup(reg: Registry, group: string): object | undefined {
  const g = reg.groups().find((x) => x.group === group && group !== '');
  return g && { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g) };
}

function entries(r: ResourceType): object[] {
  const main = { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: VERBS, ...(r.shortNames.length ? { shortNames: r.shortNames } : {}), ...(r.categories.length ? { categories: r.categories } : {}) };
  const out: object[] = [main];
  if (r.status) out.push({ name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] });
  if (r.scale) out.push({ name: `${r.plural}/scale`, singularName: '', namespaced: r.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
  if (r.binding) out.push({ name: `${r.plural}/binding`, singularName: '', namespaced: r.namespaced, kind: 'Binding', verbs: ['create'] });
  return out;
}

/** GET /api/v1 or /apis/<group>/<version>, undefined when not served. */
export function apiResourceList(reg: Registry, group: string, version: string): object | undefined {
  const rs = reg.all().filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources: rs.flatMap(entries) };
}
