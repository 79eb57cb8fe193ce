import { expect } from 'chai';
import { splitByCost, type CostParam } from './cost.js';

const params: CostParam[] = [
  { target: 'a100', cost: 10, minReplicas: 1, maxReplicas: 8 },
  { target: 'l40', cost: 4, minReplicas: 0, maxReplicas: 8 },
];

describe('autoscaler/splitByCost', () => {
  const cases: { name: string; needed: number; rate: number; current?: Record<string, number>; want: Record<string, number> }[] = [
    { name: 'minimums first', needed: 1, rate: 200, want: { a100: 1, l40: 0 } },
    // l40 chunks 1 (4), 2 (8), 4 (16); a100 chunks after its min: 2 (20), 4 (40).
    { name: 'cheapest chunks next, growing by the expansion rate', needed: 4, rate: 200, want: { a100: 1, l40: 3 } },
    // After l40's 1+2+4 (prices 4, 8, 16) the a100 chunk of 2 (price 20) beats l40's next (8 × 4 = 32).
    { name: 'the dearer backend gets a turn once chunks grow', needed: 9, rate: 200, want: { a100: 2, l40: 7 } },
    { name: 'more of the dearer backend as the cheap one gets expensive', needed: 11, rate: 200, want: { a100: 3, l40: 8 } },
    { name: 'keeps what already runs when scaling up', needed: 5, rate: 200, current: { a100: 3, l40: 0 }, want: { a100: 3, l40: 2 } },
    { name: 'sheds the dearest first when scaling down', needed: 3, rate: 200, current: { a100: 3, l40: 2 }, want: { a100: 1, l40: 2 } },
    { name: 'bounded by the sum of maximums', needed: 40, rate: 200, want: { a100: 8, l40: 8 } },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const r = splitByCost(params, tc.needed, tc.rate, tc.current);
      expect(r.replicas, r.reason).to.deep.equal(tc.want);
      expect(r.reason).to.match(/replicas by cost/);
    });
  }
});
