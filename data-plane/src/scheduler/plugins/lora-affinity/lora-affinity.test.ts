import { expect } from 'chai';
import { createSchedulerSync } from '../../scheduler.js';
import { endpoint as ep, fnvHasher, request } from '../../testing.js';
import { loraAffinityFilter } from './index.js';

describe('lora-affinity filter', () => {
  const eps = [ep('a', { adapters: ['x'] }), ep('b', { adapters: ['x', 'y'] }), ep('c')];
  const cases = [
    { name: 'no adapter requested keeps all', adapter: undefined, want: ['a', 'b', 'c'] },
    { name: 'keeps endpoints with the adapter', adapter: 'x', want: ['a', 'b'] },
    { name: 'only one has it', adapter: 'y', want: ['b'] },
    { name: 'nobody has it: empty', adapter: 'z', want: [] },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      expect(loraAffinityFilter(request({ adapter: tc.adapter }), eps).map((e) => e.id)).to.deep.equal(tc.want);
    });
  }

  const fallback = [
    { name: 'onEmpty keep: nobody has the adapter, all stay candidates', onEmpty: 'keep' as const, want: 3, bypassed: ['lora-affinity'] },
    { name: 'onEmpty empty: no candidate', onEmpty: 'empty' as const, want: 0, bypassed: undefined },
  ];
  for (const tc of fallback) {
    it(tc.name, () => {
      const s = createSchedulerSync(
        { filters: [{ name: 'lora-affinity', onEmpty: tc.onEmpty }], scorers: [{ name: 'least-request', weight: 1 }], picker: { name: 'max-score' } },
        { hasher: fnvHasher() },
      );
      const res = s.schedule(request({ adapter: 'z' }), eps);
      expect(res.candidates).to.have.length(tc.want);
      expect(res.explain.bypassed).to.deep.equal(tc.bypassed);
      expect(res.explain.filtered['lora-affinity']).to.equal(tc.want);
    });
  }
});
