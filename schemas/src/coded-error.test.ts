import { expect } from 'chai';
import { CodedError, codedError } from './coded-error.js';

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
