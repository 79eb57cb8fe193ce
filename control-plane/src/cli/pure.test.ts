// Pure helpers of the CLI: time arguments, ages, tables, condition summaries, event summaries.
import { expect } from 'chai';
import { makeEvent } from '@matrixinfer/events';
import { conditionSummary } from './columns.js';
import { summarize } from './event-lines.js';
import { formatAge, renderTable } from './table.js';
import { parseTimeArg } from './time.js';

const NOW = Date.parse('2026-11-27T14:30:00Z');

describe('cli pure helpers', () => {
  const times = [
    { in: '90s', want: NOW - 90_000 },
    { in: '1h30m', want: NOW - 5_400_000 },
    { in: '2026-11-27T14:02:00Z', want: Date.parse('2026-11-27T14:02:00Z') },
    { in: String(NOW - 5), want: NOW - 5 },
    { in: '14:02', want: new Date(new Date(NOW).setHours(14, 2, 0, 0)).getTime() },
  ];
  for (const tc of times) it(`parseTimeArg ${tc.in}`, () => expect(parseTimeArg(tc.in, NOW)).to.equal(tc.want));
  it('parseTimeArg rejects what is not a time, with the accepted forms', () => {
    expect(() => parseTimeArg('soonish', NOW)).to.throw(/cannot read "soonish" as a time: use a duration/);
  });

  const ages = [
    { ms: 45_000, want: '45s' },
    { ms: 12 * 60_000, want: '12m' },
    { ms: 3 * 3_600_000, want: '3h' },
    { ms: 3 * 86_400_000, want: '3d' },
  ];
  for (const tc of ages) it(`formatAge ${tc.want}`, () => expect(formatAge(NOW - tc.ms, NOW)).to.equal(tc.want));

  it('renderTable pads columns and trims line ends', () => {
    expect(renderTable(['NAME', 'STATUS'], [['llama', 'Active'], ['x', '-']])).to.equal('NAME   STATUS\nllama  Active\nx      -');
  });

  const conds = [
    { name: 'none', in: undefined, want: '-' },
    { name: 'Failed beats Active', in: [{ type: 'Active', status: 'True' }, { type: 'Failed', status: 'True' }], want: 'Failed' },
    { name: 'Active beats Initialized', in: [{ type: 'Initialized', status: 'True' }, { type: 'Active', status: 'True' }], want: 'Active' },
    { name: 'a False reason', in: [{ type: 'Active', status: 'False', reason: 'WaitingForReplicas' }], want: 'WaitingForReplicas' },
  ];
  for (const tc of conds) it(`conditionSummary ${tc.name}`, () => expect(conditionSummary(tc.in)).to.equal(tc.want));

  it('summarizes resources, observations and decisions in words', () => {
    const applied = makeEvent('resource.applied', 't', 's', { kind: 'Model', metadata: { name: 'llama', generation: 3 } });
    expect(summarize(applied)).to.equal('Model/llama generation 3');
    const obs = makeEvent('workload.instance.observed', 't', 's', { instance: 'i-0', phase: 'failed', reason: 'exited with code 1' });
    expect(summarize(obs)).to.equal('i-0 failed exited with code 1');
    const ext = makeEvent('metrics.external.sample', 't', 's', { binding: 'llama-sim', timeMs: 1, results: [{ metricName: 'rps', query: 'sum(x)', value: 3.5 }, { metricName: 'depth', query: 'q', error: { code: 'MI_ERR_EXTERNAL_UNREACHABLE', message: 'down' } }] });
    expect(summarize(ext)).to.equal('llama-sim: rps = 3.5, depth error MI_ERR_EXTERNAL_UNREACHABLE');
    const long = makeEvent('x', 't', 's', { reason: 'y'.repeat(500) });
    expect(summarize(long)).to.have.length(160);
  });
});
