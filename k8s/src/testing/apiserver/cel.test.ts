import { expect } from 'chai';
import { evaluateRule, evaluateRules } from './cel.js';
import type { Schema } from './types.js';

describe('test apiserver CEL rules', () => {
  const cases: { rule: string; self: unknown; want: boolean }[] = [
    { rule: 'has(self.a) != has(self.b)', self: { a: 1 }, want: true },
    { rule: 'has(self.a) != has(self.b)', self: { a: 1, b: 2 }, want: false },
    { rule: '!has(self.minReplicas) || self.minReplicas <= self.maxReplicas', self: { maxReplicas: 1 }, want: true },
    { rule: '!has(self.minReplicas) || self.minReplicas <= self.maxReplicas', self: { minReplicas: 3, maxReplicas: 1 }, want: false },
    { rule: 'self.t.all(x, has(x.w)) || self.t.all(x, !has(x.w))', self: { t: [{ w: 1 }, { w: 2 }] }, want: true },
    { rule: 'self.t.all(x, has(x.w)) || self.t.all(x, !has(x.w))', self: { t: [{ w: 1 }, {}] }, want: false },
    { rule: '!(has(self.a) && has(self.b))', self: { a: 1, b: 1 }, want: false },
    { rule: "size(self.name) <= 5 && self.name.startsWith('a')", self: { name: 'abc' }, want: true },
    { rule: 'self.x.exists_one(i, i > 2) ? true : false', self: { x: [1, 3] }, want: true },
    { rule: "self.s in ['a', 'b'] && self.n % 2 == 0 && self.n * 2 - 1 == 7", self: { s: 'a', n: 4 }, want: true },
  ];
  for (const tc of cases) it(`${tc.rule} on ${JSON.stringify(tc.self)} -> ${tc.want}`, () => expect(evaluateRule(tc.rule, tc.self)).to.equal(tc.want));

  it('reports the false rule with its message at the schema node path, in list items too', () => {
    const schema: Schema = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          'x-kubernetes-validations': [{ rule: 'has(self.a) != has(self.b)', message: 'set exactly one of a and b' }],
          properties: { rules: { type: 'array', items: { type: 'object', 'x-kubernetes-validations': [{ rule: 'self.min <= self.max' }] } } },
        },
      },
    };
    expect(evaluateRules(schema, { metadata: {}, spec: { a: 1, b: 2, rules: [{ min: 1, max: 2 }, { min: 3, max: 2 }] } })).to.deep.equal([
      { reason: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: "object": set exactly one of a and b' },
      { reason: 'FieldValueInvalid', field: 'spec.rules[1]', message: 'Invalid value: "object": failed rule: self.min <= self.max' },
    ]);
  });
});
