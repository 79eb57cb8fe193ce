import { expect } from 'chai';
import { parseTraceparent } from '@matrixinfer/events';
import { cliTraceparent } from './trace.js';

describe('mi trace context (TRACEPARENT or a new trace)', () => {
  it('takes a valid TRACEPARENT as it is', () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(cliTraceparent({ TRACEPARENT: tp })).to.equal(tp);
  });
  it('starts a new sampled trace without one or with an invalid one, from the random source; never all-zero ids', () => {
    const fixed = (n: number) => Buffer.alloc(n, 0xcd);
    expect(cliTraceparent({}, fixed)).to.equal(`00-${'cd'.repeat(16)}-${'cd'.repeat(8)}-01`);
    expect(cliTraceparent({ TRACEPARENT: 'ff-x' }, fixed)).to.equal(`00-${'cd'.repeat(16)}-${'cd'.repeat(8)}-01`);
    const zeros = cliTraceparent({}, (n) => Buffer.alloc(n, 0));
    expect(parseTraceparent(zeros)).to.not.equal(null);
  });
});
