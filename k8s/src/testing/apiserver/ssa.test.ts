import { expect } from 'chai';
import { fieldSetOf, fromFieldsV1, toFieldsV1 } from './fieldset.js';
import { serverSideApply, trackUpdate, type ManagerInfo } from './ssa.js';
import { builtinResources } from './builtins.js';
import type { ResourceType } from './types.js';

const deploy = builtinResources().find((r) => r.kind === 'Deployment')!;
const cr: ResourceType = { ...deploy, kind: 'ModelInfer', builtin: false, schema: { type: 'object', properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' }, template: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } } } };
const who = (manager: string): ManagerInfo => ({ manager, apiVersion: 'apps/v1', subresource: '', now: '2026-01-01T00:00:00Z' });

describe('test apiserver server-side apply', () => {
  it('field sets: list-map keys, granular maps, status left to its subresource; fieldsV1 round trip', () => {
    const obj = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', labels: { a: 'b' } }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'c', image: 'i' }] } } }, status: { replicas: 1 } };
    const set = fieldSetOf(deploy, obj, '');
    const v1 = toFieldsV1(set);
    expect(v1).to.deep.equal({
      'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } },
      'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:name': {}, 'f:image': {} } } } } },
    });
    expect(fromFieldsV1(v1).paths()).to.have.deep.members(set.paths());
  });

  it('apply creates, a second manager conflicts (409 material) unless forced, and force moves ownership', () => {
    const a = serverSideApply(cr, undefined, { metadata: { name: 'x' }, spec: { replicas: 1, template: { t: 1 } } }, who('gitops'), false);
    if (!a.ok) throw new Error('first apply conflicted');
    const live = { ...a.object, metadata: { ...(a.object.metadata as object), managedFields: a.managedFields } };
    const b = serverSideApply(cr, live, { metadata: { name: 'x' }, spec: { replicas: 3 } }, who('autoscaler'), false);
    expect(b).to.deep.equal({ ok: false, conflicts: [{ manager: 'gitops', apiVersion: 'apps/v1', field: '.spec.replicas' }] });
    const same = serverSideApply(cr, live, { metadata: { name: 'x' }, spec: { replicas: 1 } }, who('autoscaler'), false);
    expect(same.ok, 'same value shares ownership').to.equal(true);
    const c = serverSideApply(cr, live, { metadata: { name: 'x' }, spec: { replicas: 3 } }, who('autoscaler'), true);
    if (!c.ok) throw new Error('force conflicted');
    expect((c.object.spec as { replicas: number }).replicas).to.equal(3);
    expect(c.managedFields.map((e) => [e.manager, e.fieldsV1])).to.deep.equal([
      ['gitops', { 'f:spec': { 'f:template': { '.': {}, 'f:t': {} } } }],
      ['autoscaler', { 'f:spec': { 'f:replicas': {} } }],
    ]);
  });

  it('a manager that stops applying a field removes it unless someone else owns it', () => {
    const a = serverSideApply(cr, undefined, { metadata: { name: 'x', labels: { l: '1' } }, spec: { replicas: 1, template: { t: 1 } } }, who('m'), false);
    if (!a.ok) throw new Error('conflict');
    const live = { ...a.object, metadata: { ...(a.object.metadata as object), managedFields: a.managedFields } };
    const b = serverSideApply(cr, live, { metadata: { name: 'x' }, spec: { template: { t: 1 } } }, who('m'), false);
    if (!b.ok) throw new Error('conflict');
    expect(b.object.spec).to.deep.equal({ template: { t: 1 } });
    expect((b.object.metadata as { labels?: unknown }).labels).to.equal(undefined);
  });

  it('updates take ownership of what they change, never conflict', () => {
    const a = serverSideApply(cr, undefined, { metadata: { name: 'x' }, spec: { replicas: 1, template: { t: 1 } } }, who('gitops'), false);
    if (!a.ok) throw new Error('conflict');
    const live = { ...a.object, metadata: { ...(a.object.metadata as object), managedFields: a.managedFields } };
    const mf = trackUpdate(cr, live, { ...live, spec: { replicas: 5, template: { t: 1 } } }, who('kubectl-scale'));
    expect(mf.map((e) => [e.manager, e.operation, e.fieldsV1])).to.deep.equal([
      ['gitops', 'Apply', { 'f:spec': { 'f:template': { '.': {}, 'f:t': {} } } }],
      ['kubectl-scale', 'Update', { 'f:spec': { 'f:replicas': {} } }],
    ]);
  });
});
