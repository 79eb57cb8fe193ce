import { expect } from 'chai';
import type { StoredResource } from '@matrixinfer/events';
import { renderTopFrame, topRows, type NamespacedEngineSample, type TopSnapshot } from './top-frame.js';

const NOW = Date.parse('2026-12-07T15:00:00Z');

function model(name: string, backends: Array<{ name: string; replicas: number; readyReplicas: number }>, namespace = 'default'): StoredResource {
  return {
    apiVersion: 'registry.matrixinfer.ai/v1alpha1', kind: 'Model',
    metadata: { name, namespace, resourceVersion: '1', generation: 1, uid: name, creationTimestamp: '2026-12-07T14:00:00Z' },
    spec: { backends: backends.map((b) => ({ name: b.name })) },
    status: { backendStatuses: backends },
  } as unknown as StoredResource;
}

function engine(endpoint: string, target: string, running: number, waiting: number, kvUsage: number, namespace = 'default'): NamespacedEngineSample {
  return { endpoint, address: `http://${endpoint}`, modelServer: target, target, engine: 'vLLM', timeMs: NOW - 1000, running, waiting, kvUsage, namespace } as NamespacedEngineSample;
}

function snapshot(over: Partial<TopSnapshot> = {}): TopSnapshot {
  return { models: [], engines: [], gateways: [], decisions: [], source: 'nats://127.0.0.1:4222', ...over };
}

describe('mi top frame (pure)', () => {
  it('one row per Model backend: ready/desired from status, load summed over its endpoints, KV averaged, gateway traffic of the model once', () => {
    const s = snapshot({
      models: [model('llama', [{ name: 'a', replicas: 3, readyReplicas: 2 }, { name: 'b', replicas: 1, readyReplicas: 1 }])],
      engines: [engine('e1', 'llama-a', 4, 1, 0.5), engine('e2', 'llama-a', 2, 0, 0.25), engine('e3', 'llama-b', 1, 0, 0.1)],
      gateways: [
        { gateway: 'g1', model: 'llama', timeMs: NOW, inFlight: 3, requestsPerSecond: 2.5, inputTokensPerSecond: 0, outputTokensPerSecond: 0, namespace: 'default' },
        { gateway: 'g2', model: 'llama', timeMs: NOW, inFlight: 1, requestsPerSecond: 1, inputTokensPerSecond: 0, outputTokensPerSecond: 0, namespace: 'default' },
      ],
    });
    const rows = topRows(s);
    expect(rows.map((r) => [r.backend, r.ready, r.desired, r.running, r.waiting, r.kvUsage, r.inFlight, r.requestsPerSecond])).to.deep.equal([
      ['a', 2, 3, 6, 1, 0.375, 4, 3.5],
      ['b', 1, 1, 1, 0, 0.1, 0, 0],
    ]);
  });

  it('renders headers, cells, "-" for a backend without samples, and the targets no Model owns', () => {
    const frame = renderTopFrame(snapshot({ models: [model('m', [{ name: 'x', replicas: 2, readyReplicas: 0 }])], engines: [engine('lone', 'standalone-infer', 1, 2, 0.9)] }), NOW);
    const lines = frame.split('\n');
    expect(lines[0]).to.equal('mi top  2026-12-07T15:00:00.000Z  nats://127.0.0.1:4222');
    expect(lines[2]).to.match(/^MODEL\s+BACKEND\s+READY\s+RUNNING\s+WAITING\s+KV\s+IN-FLIGHT\s+REQ\/S$/);
    expect(lines[3].split(/\s+/)).to.deep.equal(['m', 'x', '0/2', '-', '-', '-', '0', '0.0']);
    expect(lines[4].split(/\s+/)).to.deep.equal(['-', 'standalone-infer', '1/1', '1', '2', '90%', '0', '0.0']);
    expect(frame).to.contain('RECENT DECISIONS (last 10)\nnone');
  });

  it('shows the last N decisions with time, subject, type and summary; a NAMESPACE column with -A', () => {
    const decisions = Array.from({ length: 12 }, (_, i) => ({
      stream: 'MI_DECISIONS', seq: i + 1, subject: 'mi.decisions.autoscaler.prod.llama', storedMs: NOW - (12 - i) * 1000,
      envelope: { id: String(i), type: 'autoscaler.scale', time: '', source: 'autoscaler', subject: 'mi.decisions.autoscaler.prod.llama', data: { reason: `step ${i}` } },
    }));
    const frame = renderTopFrame(snapshot({ models: [model('llama', [{ name: 'a', replicas: 1, readyReplicas: 1 }], 'prod')], decisions }), NOW, { allNamespaces: true, decisions: 3 });
    expect(frame).to.match(/^NAMESPACE\s+MODEL/m);
    expect(frame).to.match(/^prod\s+llama\s+a\s+1\/1/m);
    const tail = frame.slice(frame.indexOf('RECENT DECISIONS (last 3)')).split('\n');
    expect(tail[1]).to.match(/^TIME\s+SUBJECT\s+TYPE\s+SUMMARY$/);
    expect(tail.slice(2).map((l) => l.split(/\s+/).slice(-2).join(' '))).to.deep.equal(['step 9', 'step 10', 'step 11']);
    expect(tail[2].startsWith('14:59:57')).to.equal(true);
  });

  it('says so when there is nothing', () => {
    expect(renderTopFrame(snapshot(), NOW)).to.contain('\n\nNo models.\n');
  });
});
