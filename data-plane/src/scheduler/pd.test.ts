import { expect } from 'chai';
import { isPdSet, schedulePd } from './pd.js';
import { createSchedulerSync } from './scheduler.js';
import { endpoint as ep, fnvHasher, request } from './testing.js';
import type { EndpointView } from './types.js';

const s = createSchedulerSync('least-request', { hasher: fnvHasher() });
const schedule = s.schedule.bind(s);
const pairIds = (eps: EndpointView[], max?: number) =>
  schedulePd(schedule, request(), eps, max).pairs.map((p) => `${p.prefill.id}>${p.decode.id}`);

describe('PD pairing', () => {
  const cases: { name: string; eps: EndpointView[]; max?: number; want: string[] }[] = [
    {
      name: 'pairs each decode with the least loaded prefill of its group, decodes in score order',
      eps: [
        ep('p1', { role: 'prefill', pdGroup: 'g1', inFlight: 3 }), ep('p2', { role: 'prefill', pdGroup: 'g1' }),
        ep('p3', { role: 'prefill', pdGroup: 'g2' }),
        ep('d1', { role: 'decode', pdGroup: 'g1', inFlight: 5 }), ep('d2', { role: 'decode', pdGroup: 'g2' }),
      ],
      want: ['p3>d2', 'p2>d1'],
    },
    {
      name: 'a decode whose group has no prefill is skipped',
      eps: [ep('p1', { role: 'prefill', pdGroup: 'g1' }), ep('d1', { role: 'decode', pdGroup: 'g1', inFlight: 2 }), ep('d2', { role: 'decode', pdGroup: 'g9' })],
      want: ['p1>d1'],
    },
    {
      name: 'ungrouped decodes pair with ungrouped prefills',
      eps: [ep('p1', { role: 'prefill' }), ep('d1', { role: 'decode' })],
      want: ['p1>d1'],
    },
    {
      name: 'at most maxPairs pairs',
      eps: [ep('p1', { role: 'prefill' }), ep('d1', { role: 'decode' }), ep('d2', { role: 'decode', inFlight: 1 }), ep('d3', { role: 'decode', inFlight: 2 })],
      max: 2,
      want: ['p1>d1', 'p1>d2'],
    },
    {
      name: 'no decode endpoints: no pairs',
      eps: [ep('p1', { role: 'prefill' }), ep('b1')],
      want: [],
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => expect(pairIds(tc.eps, tc.max)).to.deep.equal(tc.want));
  }

  it('runs the prefill decision once per group and reports it for explain', () => {
    let calls = 0;
    const counting = (...a: Parameters<typeof schedule>) => {
      calls++;
      return schedule(...a);
    };
    const eps = [ep('p1', { role: 'prefill', pdGroup: 'g' }), ep('d1', { role: 'decode', pdGroup: 'g' }), ep('d2', { role: 'decode', pdGroup: 'g' })];
    const res = schedulePd(counting, request(), eps);
    expect(calls).to.equal(2);
    expect(Object.keys(res.prefill)).to.deep.equal(['g']);
    expect(res.decode.explain.scored).to.have.length(2);
  });

  const sets = [
    { eps: [ep('a'), ep('p', { role: 'prefill' })], want: true },
    { eps: [ep('a'), ep('d', { role: 'decode' })], want: false },
  ];
  for (const tc of sets) {
    it(`isPdSet(${tc.eps.map((e) => e.role).join(',')}) = ${tc.want}`, () => expect(isPdSet(tc.eps)).to.equal(tc.want));
  }
});
