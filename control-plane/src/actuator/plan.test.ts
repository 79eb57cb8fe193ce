import { expect } from 'chai';
import type { InstanceSpec } from '@matrixinfer/events';
import { describeChange, instanceKey, planActions, specFingerprint, type RunningInstance } from './plan.js';
import { makeSpec } from './testing.js';

function runningOf(...items: [InstanceSpec, RunningInstance['phase']][]): Map<string, RunningInstance> {
  return new Map(items.map(([spec, phase]) => [instanceKey(spec.namespace, spec.name), { spec, phase }]));
}

const a = makeSpec({ name: 'a' });
const b = makeSpec({ name: 'b' });
const w = makeSpec({ name: 'a-w', podIndex: 1, entry: false });

interface Case {
  name: string;
  running: Map<string, RunningInstance>;
  desired: InstanceSpec[];
  start: string[];
  stop: string[];
  replace: string[];
}

const cases: Case[] = [
  { name: 'nothing running, nothing wanted', running: runningOf(), desired: [], start: [], stop: [], replace: [] },
  { name: 'starts every missing instance, entries first', running: runningOf(), desired: [w, b, a], start: ['a', 'b', 'a-w'], stop: [], replace: [] },
  { name: 'leaves an unchanged ready instance alone', running: runningOf([a, 'ready']), desired: [a], start: [], stop: [], replace: [] },
  { name: 'leaves an unchanged failed instance alone (recovery is the controller’s call)', running: runningOf([a, 'failed']), desired: [a], start: [], stop: [], replace: [] },
  { name: 'stops what is no longer wanted', running: runningOf([a, 'ready'], [b, 'starting']), desired: [a], start: [], stop: ['b'], replace: [] },
  { name: 'empty desired set stops everything', running: runningOf([a, 'ready'], [b, 'exited']), desired: [], start: [], stop: ['a', 'b'], replace: [] },
  { name: 'a new revision replaces', running: runningOf([a, 'ready']), desired: [{ ...a, revision: 'r2' }], start: [], stop: [], replace: ['a'] },
  { name: 'a new incarnation replaces', running: runningOf([a, 'exited']), desired: [{ ...a, incarnation: 2 }], start: [], stop: [], replace: ['a'] },
  { name: 'changed args replace', running: runningOf([a, 'ready']), desired: [{ ...a, args: ['--x'] }], start: [], stop: [], replace: ['a'] },
  { name: 'changed env replaces', running: runningOf([a, 'ready']), desired: [{ ...a, env: { K: 'v' } }], start: [], stop: [], replace: ['a'] },
  { name: 'env key order is not a change', running: runningOf([{ ...a, env: { X: '1', Y: '2' } }, 'ready']), desired: [{ ...a, env: { Y: '2', X: '1' } }], start: [], stop: [], replace: [] },
  { name: 'same name in another namespace is another instance', running: runningOf([a, 'ready']), desired: [a, { ...a, namespace: 'other' }], start: ['a'], stop: [], replace: [] },
  { name: 'a duplicate in desired counts once (first wins)', running: runningOf(), desired: [a, { ...a, revision: 'r9' }], start: ['a'], stop: [], replace: [] },
  { name: 'start, stop and replace together', running: runningOf([a, 'ready'], [b, 'ready']), desired: [{ ...a, revision: 'r2' }, w], start: ['a-w'], stop: ['b'], replace: ['a'] },
];

describe('actuator/planActions', () => {
  for (const tc of cases) {
    it(tc.name, () => {
      const plan = planActions(tc.running, tc.desired);
      expect(plan.start.map((s) => s.name), 'start').to.deep.equal(tc.start);
      expect(plan.stop.map((s) => s.spec.name), 'stop').to.deep.equal(tc.stop);
      expect(plan.replace.map((r) => r.to.name), 'replace').to.deep.equal(tc.replace);
    });
  }

  it('replace carries the old and the new spec', () => {
    const plan = planActions(runningOf([a, 'ready']), [{ ...a, revision: 'r2' }]);
    expect(plan.replace[0].from.spec.revision).to.equal('r1');
    expect(plan.replace[0].to.revision).to.equal('r2');
  });

  it('specFingerprint ignores key order and sees nested changes', () => {
    expect(specFingerprint({ ...a, labels: { x: '1', y: '2' } })).to.equal(specFingerprint({ ...a, labels: { y: '2', x: '1' } }));
    expect(specFingerprint({ ...a, command: ['vllm', 'serve'] })).to.not.equal(specFingerprint({ ...a, command: ['vllm'] }));
  });
});

describe('actuator/describeChange', () => {
  const cases = [
    { name: 'revision', to: { ...a, revision: 'r2' }, want: 'revision r1 → r2' },
    { name: 'incarnation from absent', to: { ...a, incarnation: 1 }, want: 'incarnation 0 → 1' },
    { name: 'args and env', to: { ...a, args: ['--x'], env: { K: 'v' } }, want: 'args, env' },
    { name: 'nothing', to: { ...a }, want: 'no change' },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      expect(describeChange(a, tc.to)).to.equal(tc.want);
    });
  }
});
