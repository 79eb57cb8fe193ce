// The fixture's webhook selectors, as kube-apiserver applies them (pure part).
import { expect } from 'chai';
import { selectorsAdmit } from './webhook-caller.js';

const models = { group: 'registry.matrixinfer.ai', version: 'v1alpha1', resource: 'models' };
const namespaces = { group: '', version: 'v1', resource: 'namespaces' };
const nsLabels: Record<string, Record<string, string>> = { prod: { env: 'prod' }, dev: { env: 'dev', 'skip-webhooks': 'true' } };
const lookup = (n: string) => nsLabels[n];
const labelled = (labels: Record<string, string>) => ({ metadata: { labels } });

describe('test API server: webhook namespaceSelector and objectSelector', () => {
  const cases: { name: string; w: Parameters<typeof selectorsAdmit>[0]; a: Parameters<typeof selectorsAdmit>[1]; want: boolean }[] = [
    { name: 'no selectors: called', w: {}, a: { namespace: 'prod', resource: models, object: {} }, want: true },
    { name: 'namespace selector matches the namespace labels', w: { namespaceSelector: { matchLabels: { env: 'prod' } } }, a: { namespace: 'prod', resource: models, object: {} }, want: true },
    { name: 'namespace selector excludes another namespace', w: { namespaceSelector: { matchLabels: { env: 'prod' } } }, a: { namespace: 'dev', resource: models, object: {} }, want: false },
    {
      name: 'NotIn / DoesNotExist expressions',
      w: { namespaceSelector: { matchExpressions: [{ key: 'skip-webhooks', operator: 'DoesNotExist' }, { key: 'env', operator: 'NotIn', values: ['test'] }] } },
      a: { namespace: 'dev', resource: models, object: {} },
      want: false,
    },
    { name: 'a cluster-scoped object is never exempted by a namespace selector', w: { namespaceSelector: { matchLabels: { env: 'none' } } }, a: { namespace: '', resource: { group: 'x', version: 'v1', resource: 'things' }, object: {} }, want: true },
    { name: 'a Namespace is matched on its own labels', w: { namespaceSelector: { matchLabels: { env: 'prod' } } }, a: { namespace: '', resource: namespaces, object: labelled({ env: 'prod' }) }, want: true },
    { name: 'object selector on the new object', w: { objectSelector: { matchLabels: { team: 'a' } } }, a: { namespace: 'prod', resource: models, object: labelled({ team: 'a' }) }, want: true },
    { name: 'object selector: the old object suffices (a label removed on update)', w: { objectSelector: { matchLabels: { team: 'a' } } }, a: { namespace: 'prod', resource: models, object: labelled({}), oldObject: labelled({ team: 'a' }) }, want: true },
    { name: 'object selector: neither matches', w: { objectSelector: { matchLabels: { team: 'a' } } }, a: { namespace: 'prod', resource: models, object: labelled({ team: 'b' }) }, want: false },
    { name: 'object selector NotIn: an absent old object matches nothing', w: { objectSelector: { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['a'] }] } }, a: { namespace: 'prod', resource: models, object: labelled({ team: 'a' }) }, want: false },
    { name: 'empty selectors select everything', w: { namespaceSelector: {}, objectSelector: {} }, a: { namespace: 'dev', resource: models, object: {} }, want: true },
  ];
  for (const c of cases) it(c.name, () => expect(selectorsAdmit(c.w, c.a, lookup)).to.equal(c.want));
});
