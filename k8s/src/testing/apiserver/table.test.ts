import { expect } from 'chai';
import { builtinResources } from './builtins.js';
import { cellOf, humanDuration, toTable, wantsTable } from './table.js';
import type { ResourceType } from './types.js';

describe('test apiserver tables', () => {
  const model: ResourceType = { ...builtinResources()[0], group: 'x.io', kind: 'Model', plural: 'models', builtin: false, printerColumns: [{ name: 'Active', type: 'string', jsonPath: '.status.conditions[?(@.type=="Active")].status' }, { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' }] };
  const obj = { metadata: { name: 'm', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { replicas: 2, list: [{ a: 1 }, { a: 2 }] }, status: { conditions: [{ type: 'Failed', status: 'False' }, { type: 'Active', status: 'True' }] } };

  it('evaluates printer-column JSONPaths: filters, indexes, wildcards, missing fields', () => {
    expect(cellOf(obj, '.status.conditions[?(@.type=="Active")].status')).to.equal('True');
    expect(cellOf(obj, '.spec.replicas')).to.equal(2);
    expect(cellOf(obj, '.spec.list[*].a')).to.equal('1,2');
    expect(cellOf(obj, '.spec.list[0]')).to.equal('{"a":1}');
    expect(cellOf(obj, '.spec.nothing')).to.equal(null);
  });

  it('a custom resource table has Name then its printer columns, rows with partial metadata', () => {
    const t = toTable(model, [obj], { resourceVersion: '5' }, 'PartialObjectMetadata', 0) as { columnDefinitions: { name: string }[]; rows: { cells: unknown[]; object: { kind: string } }[] };
    expect(t.columnDefinitions.map((c) => c.name)).to.deep.equal(['Name', 'Active', 'Replicas']);
    expect(t.rows[0].cells).to.deep.equal(['m', 'True', 2]);
    expect(t.rows[0].object.kind).to.equal('PartialObjectMetadata');
  });

  it('pods show ready count, status (Terminating while deleting) and restarts', () => {
    const pods = builtinResources().find((r) => r.kind === 'Pod')!;
    const pod = { metadata: { name: 'p', deletionTimestamp: 'x' }, spec: { containers: [{}, {}] }, status: { phase: 'Running', containerStatuses: [{ ready: true, restartCount: 2 }, { ready: false, restartCount: 1 }] } };
    const t = toTable(pods, [pod], {}, 'None', 0) as { rows: { cells: unknown[] }[] };
    expect(t.rows[0].cells.slice(0, 4)).to.deep.equal(['p', '1/2', 'Terminating', 3]);
  });

  const durations: [number, string][] = [[-5000, '<invalid>'], [59_000, '59s'], [119_000, '119s'], [125_000, '2m5s'], [600_000, '10m'], [3 * 3600_000 + 60_000, '3h1m'], [30 * 3600_000, '30h'], [50 * 3600_000, '2d2h'], [400 * 86400_000, '400d'], [3 * 365 * 86400_000, '3y']];
  for (const [ms, want] of durations) it(`age of ${ms} ms prints ${want}`, () => expect(humanDuration(ms)).to.equal(want));

  it('recognises the Table Accept header kubectl get sends', () => {
    expect(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json')).to.equal(true);
    expect(wantsTable('application/json')).to.equal(false);
  });
});
