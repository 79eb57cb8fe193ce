import { expect } from 'chai';
import { InvalidQuantityError, isQuantity, parseQuantity } from './quantity.js';

describe('parseQuantity', () => {
  const cases: Array<[number | string, number]> = [
    [10, 10], ['5', 5], ['500m', 0.5], ['1Gi', 1024 ** 3], ['16Gi', 16 * 1024 ** 3], ['2k', 2000], ['1M', 1e6],
    ['1.5', 1.5], ['.5', 0.5], ['+3', 3], ['-2', -2], ['2e3', 2000], ['1E-2', 0.01], ['250u', 0.00025], ['0', 0], ['1Ki', 1024],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)} -> ${want}`, () => {
      expect(parseQuantity(input)).to.be.closeTo(want, Math.abs(want) * 1e-12);
      expect(isQuantity(input)).to.equal(true);
    });
  }

  for (const bad of ['', 'abc', '1K', '1.2.3', '5 m', 'Gi', '1ki', null, true, {}, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`rejects ${JSON.stringify(bad) ?? String(bad)}`, () => {
      expect(isQuantity(bad)).to.equal(false);
      expect(() => parseQuantity(bad)).to.throw(InvalidQuantityError).with.property('code', 'MI_ERR_QUANTITY');
    });
  }
});
