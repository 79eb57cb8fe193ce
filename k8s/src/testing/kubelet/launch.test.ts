import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { allocatePodIp, expandVars, podStatus, simulatorLaunch } from './launch.js';

describe('stand-in kubelet: pure parts', () => {
  it('allocates distinct loopback pod IPs outside 127.0.0.x', () => {
    expect(allocatePodIp(new Set())).to.equal('127.0.1.1');
    expect(allocatePodIp(new Set(['127.0.1.1', '127.0.1.2']))).to.equal('127.0.1.3');
  });

  const expandCases: [string, Record<string, string>, string][] = [
    ['--port $(PORT)', { PORT: '8100' }, '--port 8100'],
    ['$(MISSING) stays', {}, '$(MISSING) stays'],
    ['$$(PORT) escaped', { PORT: '1' }, '$(PORT) escaped'],
  ];
  for (const [input, env, want] of expandCases) it(`expands ${input}`, () => expect(expandVars(input, env)).to.equal(want));

  it('runs the simulator on the pod IP and container port, replacing any --host/--port', () => {
    const l = simulatorLaunch({ name: 'engine', image: 'x', command: ['mi-engine-sim'], args: ['--model', 'm', '--port', '$(PORT)', '--host=0.0.0.0'], env: [{ name: 'PORT', value: '9000' }], ports: [{ containerPort: 8100 }] }, '127.0.1.7', ['node', 'sim.js'], { PATH: '/bin' })!;
    expect(l.file).to.equal('node');
    expect(l.args).to.deep.equal(['sim.js', '--model', 'm', '--host', '127.0.1.7', '--port', '8100']);
    expect(l.env).to.include({ PATH: '/bin', PORT: '9000' });
    expect(simulatorLaunch({ name: 'e', image: 'vllm', command: ['vllm', 'serve'] }, '127.0.1.1', ['node', 'sim.js'], {})).to.equal(null);
  });

  const pod = (restartPolicy?: string): V1Pod => ({ metadata: { name: 'p' }, spec: { restartPolicy, containers: [{ name: 'engine', image: 'sim' }] } });
  const statusCases: { name: string; policy?: string; run: Parameters<typeof podStatus>[2]; phase: string; ready: boolean }[] = [
    { name: 'running, not ready', run: { state: 'running', ready: false, restarts: 0 }, phase: 'Running', ready: false },
    { name: 'ready', run: { state: 'running', ready: true, restarts: 0 }, phase: 'Running', ready: true },
    { name: 'crashed, Always restarts', run: { state: 'waiting', ready: false, restarts: 1, reason: 'exit 1' }, phase: 'Running', ready: false },
    { name: 'crashed, Never', policy: 'Never', run: { state: 'exited', ready: false, restarts: 0, exitCode: 1 }, phase: 'Failed', ready: false },
    { name: 'exit 0, OnFailure', policy: 'OnFailure', run: { state: 'exited', ready: false, restarts: 0, exitCode: 0 }, phase: 'Succeeded', ready: false },
  ];
  for (const tc of statusCases) {
    it(`status: ${tc.name}`, () => {
      const s = podStatus(pod(tc.policy), '127.0.1.1', tc.run, '2026-01-01T00:00:00Z');
      expect(s.phase).to.equal(tc.phase);
      expect(s.podIP).to.equal('127.0.1.1');
      expect(s.conditions!.find((c) => c.type === 'Ready')!.status).to.equal(tc.ready ? 'True' : 'False');
      expect(s.containerStatuses![0].restartCount).to.equal(tc.run.restarts);
    });
  }
});
