import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { observeGone, observePod, observationKey } from './observe.js';
import { renderPod } from './pods.js';
import { instanceSpec, richTemplate } from './testdata.js';

const base = renderPod(instanceSpec({ incarnation: 2 }), { owner: { name: 'llama', uid: 'u' } });
const withStatus = (status: V1Pod['status'], nodeName: string | null = 'node-a'): V1Pod => ({ ...base, spec: { ...base.spec!, ...(nodeName === null ? {} : { nodeName }) }, status });
const ready = { type: 'Ready', status: 'True' };

describe('k8s actuator: observePod', () => {
  const cases: { name: string; pod: V1Pod; phase: string; address?: string; reason?: RegExp; exitCode?: number | null }[] = [
    { name: 'unscheduled', pod: withStatus({ phase: 'Pending' }, null), phase: 'pending', reason: /waiting for a node/ },
    { name: 'unschedulable', pod: withStatus({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes have GPUs' }] }, null), phase: 'pending', reason: /Unschedulable 0\/3 nodes have GPUs/ },
    { name: 'scheduled, creating', pod: withStatus({ phase: 'Pending' }), phase: 'starting', reason: /starting on node-a/ },
    { name: 'running, not ready', pod: withStatus({ phase: 'Running', podIP: '127.0.1.2' }), phase: 'starting', reason: /running, not ready/ },
    { name: 'ready', pod: withStatus({ phase: 'Running', podIP: '127.0.1.2', conditions: [ready] }), phase: 'ready', address: 'http://127.0.1.2:8000' },
    {
      name: 'ready again after a container restart',
      pod: withStatus({ phase: 'Running', podIP: '10.0.0.7', conditions: [ready], containerStatuses: [{ name: 'engine', image: 'x', imageID: '', ready: true, restartCount: 1, state: { running: {} } }] }),
      phase: 'ready',
      address: 'http://10.0.0.7:8000',
      reason: /1 container restart$/,
    },
    {
      name: 'crash loop',
      pod: withStatus({ phase: 'Running', podIP: '10.0.0.7', containerStatuses: [{ name: 'engine', image: 'x', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] }),
      phase: 'failed',
      reason: /container engine CrashLoopBackOff; last exit code 137 \(OOMKilled\); 3 container restarts/,
      exitCode: 137,
    },
    {
      name: 'container terminated',
      pod: withStatus({ phase: 'Running', containerStatuses: [{ name: 'engine', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }] }),
      phase: 'failed',
      reason: /container engine terminated: Error \(exit code 1\)/,
      exitCode: 1,
    },
    { name: 'evicted', pod: withStatus({ phase: 'Failed', reason: 'Evicted', message: 'low on memory' }), phase: 'failed', reason: /pod failed: Evicted \(low on memory\)/ },
    { name: 'succeeded', pod: withStatus({ phase: 'Succeeded' }), phase: 'exited', exitCode: 0 },
    { name: 'IPv6 pod IP', pod: withStatus({ phase: 'Running', podIP: 'fd00::5', conditions: [ready] }), phase: 'ready', address: 'http://[fd00::5]:8000' },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const o = observePod(tc.pod)!;
      expect(o.phase).to.equal(tc.phase);
      expect(o.instance).to.equal('llama-0-server-0-0');
      expect(o.modelInfer).to.equal('llama');
      expect(o.revision).to.equal('rev1');
      expect(o.incarnation).to.equal(2);
      if (tc.phase === 'ready') expect(o.address).to.equal(tc.address);
      if (tc.reason) expect(o.reason).to.match(tc.reason);
      if (tc.exitCode !== undefined) expect(o.exitCode).to.equal(tc.exitCode);
    });
  }

  it('the address uses the engine container port of the template', () => {
    const pod = renderPod(instanceSpec({ template: richTemplate() }), { owner: { name: 'llama', uid: 'u' } });
    const o = observePod({ ...pod, status: { phase: 'Running', podIP: '127.0.0.9', conditions: [ready] } })!;
    expect(o.address).to.equal('http://127.0.0.9:8100');
  });

  it('ignores a Pod without the instance labels', () => {
    expect(observePod({ metadata: { name: 'web', namespace: 'ns' } })).to.equal(null);
  });

  it('a Pod gone is stopped when the actuator deleted it, exited otherwise, with no address', () => {
    const pod = withStatus({ phase: 'Running', podIP: '127.0.1.2', conditions: [ready] });
    expect(observeGone(pod, true, 'no longer desired')).to.deep.include({ phase: 'stopped', reason: 'no longer desired' });
    const lost = observeGone(pod, false, 'pod deleted outside the actuator')!;
    expect(lost.phase).to.equal('exited');
    expect(lost).to.not.have.property('address');
  });

  it('observationKey changes with phase and address only, not with unrelated status churn', () => {
    const a = observePod(withStatus({ phase: 'Running', podIP: '127.0.1.2', conditions: [ready] }))!;
    const b = observePod(withStatus({ phase: 'Running', podIP: '127.0.1.2', conditions: [ready, { type: 'ContainersReady', status: 'True' }] }))!;
    const c = observePod(withStatus({ phase: 'Running', podIP: '127.0.1.2' }))!;
    expect(observationKey(a)).to.equal(observationKey(b));
    expect(observationKey(a)).to.not.equal(observationKey(c));
  });
});
