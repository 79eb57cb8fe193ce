// URL routing of the test API server, pure: a request path becomes discovery, OpenAPI, or a
// resource request (group, version, namespace, plural, name, subresource), as kube-apiserver's
// request-info resolver splits it.

/** What a path asks for. */
export type Route =
  | { type: 'version' }
  | { type: 'healthz' }
  | { type: 'apiVersions' }
  | { type: 'apiGroups' }
  | { type: 'groupVersion'; group: string; version: string }
  | { type: 'group'; group: string }
  | { type: 'openapiV3Root' }
  | { type: 'openapiV3'; path: string }
  | { type: 'openapiV2' }
  | { type: 'resource'; group: string; version: string; namespace?: string; plural: string; name?: string; subresource?: string }
  | { type: 'unknown' };

/** Splits a path (no query string) into a Route. */
export function routeOf(pathname: string): Route {
  const parts = pathname.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  if (parts.length === 1 && parts[0] === 'version') return { type: 'version' };
  if (['healthz', 'readyz', 'livez'].includes(parts[0] ?? '')) return { type: 'healthz' };
  if (parts[0] === 'openapi') {
    if (parts[1] === 'v2' && parts.length === 2) return { type: 'openapiV2' };
    if (parts[1] === 'v3') return parts.length === 2 ? { type: 'openapiV3Root' } : { type: 'openapiV3', path: parts.slice(2).join('/') };
    return { type: 'unknown' };
  }
  let group: string;
  let version: string | undefined;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) return { type: 'apiVersions' };
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { type: 'apiGroups' };
    group = parts[1];
    if (parts.length === 2) return { type: 'group', group };
    version = parts[2];
    rest = parts.slice(3);
  } else return { type: 'unknown' };
  if (rest.length === 0) return { type: 'groupVersion', group, version };
  let namespace: string | undefined;
  // `namespaces/<ns>/<plural>...` is namespaced; `namespaces` and `namespaces/<name>[/status]` are the Namespace objects.
  const namespaceSub = group === '' && rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize');
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSub) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  if (extra.length > 0) return { type: 'unknown' };
  return { type: 'resource', group, version, namespace, plural, name, subresource };
}
