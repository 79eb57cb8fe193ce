import { expect } from 'chai';
import type { InstanceObservation } from '@matrixinfer/events';
import { applyObservation, applyServerEvent, modelServerOf, type Endpoint, type ServerSelector } from './endpoints.js';

function obs(instance: string, phase: InstanceObservation['phase'], address?: string): InstanceObservation {
  return { instance, namespace: 'default', modelInfer: 'mi1', phase, revision: 'r1', labels: { app: 'x' }, address, timeMs: 0 };
}

describe('collector/applyObservation', () => {
  const cases: { name: string; events: InstanceObservation[]; want: string[] }[] = [
    { name: 'ready adds', events: [obs('a', 'starting'), obs('a', 'ready', 'http://127.0.0.1:1')], want: ['a@http://127.0.0.1:1'] },
    { name: 'ready without an address does not add', events: [obs('a', 'ready')], want: [] },
    { name: 'exited removes', events: [obs('a', 'ready', 'http://127.0.0.1:1'), obs('a', 'exited')], want: [] },
    { name: 'stopped removes', events: [obs('a', 'ready', 'http://127.0.0.1:1'), obs('b', 'ready', 'http://127.0.0.1:2'), obs('a', 'stopped')], want: ['b@http://127.0.0.1:2'] },
    { name: 'a restart at a new address moves it', events: [obs('a', 'ready', 'http://127.0.0.1:1'), obs('a', 'starting'), obs('a', 'ready', 'http://127.0.0.1:3')], want: ['a@http://127.0.0.1:3'] },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const m = new Map<string, Endpoint>();
      for (const e of tc.events) applyObservation(m, e);
      expect([...m.values()].map((e) => `${e.id}@${e.address}`)).to.deep.equal(tc.want);
    });
  }
});

describe('collector/modelServerOf', () => {
  const ep: Endpoint = { id: 'a', namespace: 'default', modelInfer: 'mi1', address: 'http://x', labels: { 'modelinfer.matrixinfer.ai/name': 'mi1', role: 'decode' } };
  function servers(...events: [string, unknown][]): ServerSelector[] {
    const m = new Map<string, ServerSelector>();
    for (const [type, data] of events) applyServerEvent(m, type, data);
    return [...m.values()];
  }
  const ms = (name: string, matchLabels: unknown, namespace = 'default') => ({ metadata: { name, namespace }, spec: { workloadSelector: { matchLabels } } });
  const cases: { name: string; events: [string, unknown][]; want: string }[] = [
    { name: 'no servers', events: [], want: '' },
    { name: 'a matching selector', events: [['resource.applied', ms('ms1', { 'modelinfer.matrixinfer.ai/name': 'mi1' })]], want: 'ms1' },
    { name: 'a selector asking for a label the endpoint lacks', events: [['resource.applied', ms('ms1', { 'modelinfer.matrixinfer.ai/name': 'mi1', role: 'prefill' })]], want: '' },
    { name: 'another namespace does not match', events: [['resource.applied', ms('ms1', { role: 'decode' }, 'other')]], want: '' },
    { name: 'an empty selector is ignored', events: [['resource.applied', ms('ms1', {})]], want: '' },
    { name: 'several match: alphabetically first', events: [['resource.applied', ms('zeta', { role: 'decode' })], ['resource.applied', ms('alpha', { role: 'decode' })]], want: 'alpha' },
    { name: 'a deleted server no longer matches', events: [['resource.applied', ms('ms1', { role: 'decode' })], ['resource.deleted', ms('ms1', { role: 'decode' })]], want: '' },
    { name: 'malformed events are ignored', events: [['resource.applied', null], ['resource.applied', { metadata: {} }]], want: '' },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      expect(modelServerOf(servers(...tc.events), ep)).to.equal(tc.want);
    });
  }
});
