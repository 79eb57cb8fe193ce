import { expect } from 'chai';
import { routeOf, type Route } from './routes.js';

describe('test apiserver routes', () => {
  const cases: [string, Route][] = [
    ['/version', { type: 'version' }],
    ['/api', { type: 'apiVersions' }],
    ['/apis', { type: 'apiGroups' }],
    ['/api/v1', { type: 'groupVersion', group: '', version: 'v1' }],
    ['/apis/apps', { type: 'group', group: 'apps' }],
    ['/apis/apps/v1', { type: 'groupVersion', group: 'apps', version: 'v1' }],
    ['/openapi/v3', { type: 'openapiV3Root' }],
    ['/openapi/v3/apis/apps/v1', { type: 'openapiV3', path: 'apis/apps/v1' }],
    ['/api/v1/namespaces', { type: 'resource', group: '', version: 'v1', namespace: undefined, plural: 'namespaces', name: undefined, subresource: undefined }],
    ['/api/v1/namespaces/default', { type: 'resource', group: '', version: 'v1', namespace: undefined, plural: 'namespaces', name: 'default', subresource: undefined }],
    ['/api/v1/namespaces/default/status', { type: 'resource', group: '', version: 'v1', namespace: undefined, plural: 'namespaces', name: 'default', subresource: 'status' }],
    ['/api/v1/namespaces/default/pods', { type: 'resource', group: '', version: 'v1', namespace: 'default', plural: 'pods', name: undefined, subresource: undefined }],
    ['/api/v1/namespaces/d/pods/p/binding', { type: 'resource', group: '', version: 'v1', namespace: 'd', plural: 'pods', name: 'p', subresource: 'binding' }],
    ['/apis/x.io/v1/namespaces/d/models/m/scale', { type: 'resource', group: 'x.io', version: 'v1', namespace: 'd', plural: 'models', name: 'm', subresource: 'scale' }],
    ['/apis/x.io/v1/models', { type: 'resource', group: 'x.io', version: 'v1', namespace: undefined, plural: 'models', name: undefined, subresource: undefined }],
    ['/apis/x.io/v1/namespaces/d/models/m/scale/extra', { type: 'unknown' }],
    ['/nothing', { type: 'unknown' }],
  ];
  for (const [path, want] of cases) it(path, () => expect(routeOf(path)).to.deep.equal(want));
});
