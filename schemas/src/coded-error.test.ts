import { expect } from 'chai';
import { CodedError, codedError, codedErrors, codedFamily } from './coded-error.js';

class FamilyError extends CodedError {
  override name: string = 'FamilyError';
}
const BoomError = codedError(FamilyError, 'BoomError', 'MI_ERR_BOOM');
const OtherError = codedError(FamilyError, 'OtherError', 'MI_ERR_OTHER');

describe('codedError', () => {
  it('makes a subclass of the family with its own code, name, message and cause', () => {
    const cause = new Error('root');
    const e = new BoomError('it broke', { cause });
    expect(e).to.be.instanceOf(BoomError).and.instanceOf(FamilyError).and.instanceOf(CodedError).and.instanceOf(Error);
    expect(e).not.to.be.instanceOf(OtherError);
    expect(e.code).to.equal('MI_ERR_BOOM');
    expect(e.name).to.equal('BoomError');
    expect(e.message).to.equal('it broke');
    expect(e.cause).to.equal(cause);
    expect(String(e)).to.equal('BoomError: it broke');
    expect(e.stack).to.match(/^BoomError: it broke/);
  });

  it('exposes the code on the class and its name for stack traces and logs', () => {
    expect(BoomError.code).to.equal('MI_ERR_BOOM');
    expect(BoomError.name).to.equal('BoomError');
    expect(new OtherError('x').code).to.equal('MI_ERR_OTHER');
  });
});

describe('codedErrors', () => {
  it('declares one class per table entry, named by its key and fixed to its code', () => {
    const { AError, BError } = codedErrors(FamilyError, { AError: 'MI_ERR_A', BError: 'MI_ERR_B' });
    const a = new AError('a broke');
    expect(a).to.be.instanceOf(AError).and.instanceOf(FamilyError).and.not.instanceOf(BError);
    expect(a.code).to.equal('MI_ERR_A');
    expect(String(a)).to.equal('AError: a broke');
    expect(new BError('b').code).to.equal('MI_ERR_B');
    expect(BError.name).to.equal('BError');
  });
});

describe('codedFamily', () => {
  it('makes a subclassable family base whose errors carry its codes and its name', () => {
    const CODES = { one: 'MI_ERR_ONE', two: 'MI_ERR_TWO' } as const;
    const Family = codedFamily(CodedError, 'TestFamilyError', CODES);
    const { OneError } = codedErrors(Family, { OneError: CODES.one });
    class TwoError extends Family {
      constructor(readonly detail: string) {
        super(CODES.two, `two: ${detail}`);
      }
    }
    const one = new OneError('x');
    expect(one).to.be.instanceOf(Family).and.instanceOf(CodedError);
    expect(one.name).to.equal('OneError');
    const two = new TwoError('d');
    expect(two).to.be.instanceOf(Family).and.not.instanceOf(OneError);
    expect([two.code, two.name, two.detail, two.message]).to.deep.equal(['MI_ERR_TWO', 'TestFamilyError', 'd', 'two: d']);
    expect(Family.name).to.equal('TestFamilyError');
  });
});
