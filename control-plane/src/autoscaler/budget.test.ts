import { expect } from 'chai';
import { affordableReplicas, cheapestFill, costOf, fitToBudget, minimumCost } from './budget.js';
import type { CostParam } from './cost.js';

const params: CostParam[] = [
  { target: 'dear', cost: 40, minReplicas: 0, maxReplicas: 4 },
  { target: 'cheap', cost: 10, minReplicas: 1, maxReplicas: 2 },
];

describe('autoscaler budget', () => {
  it('prices an allocation and the minimums', () => {
    expect(costOf(params, { dear: 2, cheap: 1 })).to.equal(90);
    expect(minimumCost(params)).to.equal(10);
  });

  const fills: { name: string; max: number; upTo?: number; want: Record<string, number> | null }[] = [
    { name: 'minimums first, then the cheapest to its max, then the dearer', max: 100, want: { dear: 2, cheap: 2 } },
    { name: 'exactly the minimums', max: 10, want: { dear: 0, cheap: 1 } },
    { name: 'below the minimums', max: 9, want: null },
    { name: 'stops at the count asked for', max: 1000, upTo: 3, want: { dear: 1, cheap: 2 } },
    { name: 'everything when the ceiling is high', max: 1000, want: { dear: 4, cheap: 2 } },
  ];
  for (const f of fills) it(`cheapest fill: ${f.name}`, () => expect(cheapestFill(params, f.max, f.upTo)).to.deep.equal(f.want));

  it('a free target fills to its max whatever the ceiling', () => {
    expect(cheapestFill([{ target: 'free', cost: 0, minReplicas: 0, maxReplicas: 5 }, ...params], 10)).to.deep.equal({ free: 5, dear: 0, cheap: 1 });
  });

  it('affordable replicas: 3 at 30/h with 10/h replicas (the acceptance case)', () => {
    expect(affordableReplicas([{ target: 'mi', cost: 10, minReplicas: 1, maxReplicas: 5 }], 30)).to.equal(3);
    expect(affordableReplicas(params, 9)).to.equal(null);
  });

  it('fit: an allocation within the ceiling is kept; one over it is re-bought cheapest first for the same count', () => {
    expect(fitToBudget(params, { dear: 1, cheap: 1 }, 50)).to.deep.equal({ dear: 1, cheap: 1 });
    // 3 dear + 1 cheap = 130/h over 100/h: 4 replicas bought cheapest first = 2 cheap + 2 dear (100/h).
    expect(fitToBudget(params, { dear: 3, cheap: 1 }, 100)).to.deep.equal({ dear: 2, cheap: 2 });
  });
});
