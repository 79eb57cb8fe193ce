// The pure parts of a poll tick: which bindings have queries, and each binding's sample.
import { expect } from 'chai';
import type { StoredResource } from '@matrixinfer/events';
import { NOT_CONFIGURED, changedOutcomes, sampleOf } from './poll.js';
import type { QueryOutcome } from './result.js';
import { distinctQueries, pollTargets } from './targets.js';

let seq = 0;
function res(kind: string, name: string, spec: unknown, namespace = 'default'): StoredResource {
  seq++;
  return { apiVersion: 'x/v1', kind, metadata: { name, namespace, uid: `u${seq}`, resourceVersion: String(seq), generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' }, spec } as StoredResource;
}
const binding = (name: string, policy: string, namespace = 'default') => res('AutoscalingPolicyBinding', name, { policyRef: { name: policy }, scalingConfiguration: { target: { targetRef: { name: 'mi' } }, maxReplicas: 3 } }, namespace);

describe('external metrics: poll targets and samples', () => {
  it('polls every binding whose policy (same namespace) has queries; labels and queries trimmed', () => {
    const targets = pollTargets([
      res('AutoscalingPolicy', 'prom', { metrics: [{ metricName: 'waiting', targetValue: 5 }, { metricName: ' rps ', query: ' sum(rate(x[1m])) ', targetValue: 10 }, { metricName: 'depth', query: 'scalar(q)', targetValue: 1 }] }),
      res('AutoscalingPolicy', 'engine-only', { metrics: [{ metricName: 'waiting', targetValue: 5 }] }),
      res('AutoscalingPolicy', 'prom', { metrics: [{ metricName: 'other', query: 'sum(y)', targetValue: 1 }] }, 'team-b'),
      binding('z-b', 'prom'),
      binding('a-b', 'prom'),
      binding('plain', 'engine-only'),
      binding('orphan', 'missing'),
      binding('b', 'prom', 'team-b'),
    ]);
    expect(targets).to.deep.equal([
      { namespace: 'default', binding: 'a-b', policy: 'prom', queries: [{ metricName: 'rps', query: 'sum(rate(x[1m]))' }, { metricName: 'depth', query: 'scalar(q)' }] },
      { namespace: 'default', binding: 'z-b', policy: 'prom', queries: [{ metricName: 'rps', query: 'sum(rate(x[1m]))' }, { metricName: 'depth', query: 'scalar(q)' }] },
      { namespace: 'team-b', binding: 'b', policy: 'prom', queries: [{ metricName: 'other', query: 'sum(y)' }] },
    ]);
    expect(distinctQueries(targets)).to.deep.equal(['sum(rate(x[1m]))', 'scalar(q)', 'sum(y)']);
  });

  it('a sample has one result per query: values, errors, and an error for a query not evaluated', () => {
    const target = { namespace: 'default', binding: 'b', policy: 'p', queries: [{ metricName: 'rps', query: 'q1' }, { metricName: 'depth', query: 'q2' }, { metricName: 'lost', query: 'q3' }] };
    const outcomes = new Map<string, QueryOutcome>([
      ['q1', { value: 4 }],
      ['q2', { error: { code: 'MI_ERR_EXTERNAL_UNREACHABLE', message: 'down' } }],
    ]);
    expect(sampleOf(target, outcomes, 6000)).to.deep.equal({
      binding: 'b',
      policy: 'p',
      timeMs: 6000,
      results: [
        { metricName: 'rps', query: 'q1', value: 4 },
        { metricName: 'depth', query: 'q2', error: { code: 'MI_ERR_EXTERNAL_UNREACHABLE', message: 'down' } },
        { metricName: 'lost', query: 'q3', error: { code: 'MI_ERR_EXTERNAL_NO_SAMPLE', message: 'the query was not evaluated at this tick' } },
      ],
    });
  });

  it('without a Prometheus URL every query says the URL is not configured and how to set it', () => {
    expect(NOT_CONFIGURED).to.deep.equal({ error: { code: 'MI_ERR_EXTERNAL_NOT_CONFIGURED', message: 'the Prometheus URL is not configured: start the control plane with --prometheus-url URL (env MI_PROMETHEUS_URL)' } });
  });

  it('reports a query only when its outcome kind changes (failure, other failure, recovery)', () => {
    const before = new Map([['a', 'ok'], ['b', 'ok'], ['c', 'MI_ERR_EXTERNAL_TIMEOUT']]);
    const now = new Map<string, QueryOutcome>([
      ['a', { value: 2 }],
      ['b', { error: { code: 'MI_ERR_EXTERNAL_UNREACHABLE', message: 'x' } }],
      ['c', { value: 1 }],
      ['d', { value: 1 }],
    ]);
    expect(changedOutcomes(before, now).map((c) => `${c.query}:${c.now}`)).to.deep.equal(['b:MI_ERR_EXTERNAL_UNREACHABLE', 'c:ok', 'd:ok']);
  });
});
