import { expect } from 'chai';
import { applyDefaults, prune, validate } from './schema.js';
import type { Schema } from './types.js';

const schema: Schema = {
  type: 'object',
  required: ['spec'],
  properties: {
    spec: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[a-z]+$', minLength: 2, maxLength: 8 },
        replicas: { type: 'integer', minimum: 0, maximum: 10, default: 1 },
        policy: { type: 'string', enum: ['A', 'B'], default: 'A' },
        port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        at: { type: 'string', format: 'date-time' },
        config: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 2, 'x-kubernetes-list-type': 'set' },
        workers: {
          type: 'array',
          minItems: 1,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['type'],
          items: { type: 'object', required: ['type'], properties: { type: { type: 'string' }, replicas: { type: 'integer', default: 1 } } },
        },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    status: { type: 'object', properties: { replicas: { type: 'integer' } } },
  },
};

describe('test apiserver structural schema', () => {
  it('prunes unknown fields, keeps preserved ones and additionalProperties, reports what it dropped', () => {
    const obj = { apiVersion: 'x/v1', kind: 'K', metadata: { name: 'n', bogus: 1 }, spec: { name: 'ab', fooo: 1, config: { any: { thing: 1 } }, labels: { a: 'b' }, workers: [{ type: 'w', extra: true }] }, top: 1 };
    const dropped = prune(schema, obj);
    expect(dropped).to.have.members(['metadata.bogus', 'spec.fooo', 'spec.workers[0].extra', 'top']);
    expect(obj).to.deep.equal({ apiVersion: 'x/v1', kind: 'K', metadata: { name: 'n' }, spec: { name: 'ab', config: { any: { thing: 1 } }, labels: { a: 'b' }, workers: [{ type: 'w' }] } });
  });

  it('defaults absent fields where the parent exists, in list items too, and never overwrites', () => {
    const obj: Record<string, unknown> = { spec: { name: 'ab', policy: 'B', workers: [{ type: 'w' }, { type: 'x', replicas: 3 }] } };
    applyDefaults(schema, obj);
    expect(obj).to.deep.equal({ spec: { name: 'ab', policy: 'B', replicas: 1, workers: [{ type: 'w', replicas: 1 }, { type: 'x', replicas: 3 }] } });
    const noSpec: Record<string, unknown> = {};
    applyDefaults(schema, noSpec);
    expect(noSpec).to.deep.equal({});
  });

  const cases: { name: string; spec: unknown; want: { field: string; message: string; reason: string }[] }[] = [
    { name: 'valid', spec: { name: 'ab', replicas: 0, port: 'http', at: '2024-01-02T03:04:05Z', tags: ['a'], workers: [{ type: 'a' }, { type: 'b' }] }, want: [] },
    { name: 'required', spec: {}, want: [{ field: 'spec.name', message: 'Required value', reason: 'FieldValueRequired' }] },
    { name: 'type', spec: { name: 'ab', replicas: 'x' }, want: [{ field: 'spec.replicas', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"' }] },
    { name: 'enum', spec: { name: 'ab', policy: 'C' }, want: [{ field: 'spec.policy', reason: 'FieldValueNotSupported', message: 'Unsupported value: "C": supported values: "A", "B"' }] },
    { name: 'pattern', spec: { name: 'A1' }, want: [{ field: 'spec.name', reason: 'FieldValueInvalid', message: `Invalid value: "A1": spec.name in body should match '^[a-z]+$'` }] },
    { name: 'minLength', spec: { name: 'a' }, want: [{ field: 'spec.name', reason: 'FieldValueInvalid', message: 'Invalid value: "a": spec.name in body should be at least 2 chars long' }] },
    { name: 'maxLength', spec: { name: 'abcdefghi' }, want: [{ field: 'spec.name', reason: 'FieldValueTooLong', message: 'Too long: may not be more than 8 bytes' }] },
    { name: 'minimum', spec: { name: 'ab', replicas: -1 }, want: [{ field: 'spec.replicas', reason: 'FieldValueInvalid', message: 'Invalid value: -1: spec.replicas in body should be greater than or equal to 0' }] },
    { name: 'maximum', spec: { name: 'ab', replicas: 11 }, want: [{ field: 'spec.replicas', reason: 'FieldValueInvalid', message: 'Invalid value: 11: spec.replicas in body should be less than or equal to 10' }] },
    { name: 'int-or-string', spec: { name: 'ab', port: true }, want: [{ field: 'spec.port', reason: 'FieldValueTypeInvalid', message: 'Invalid value: true: spec.port in body must be of type integer,string: true' }] },
    { name: 'date-time', spec: { name: 'ab', at: 'yesterday' }, want: [{ field: 'spec.at', reason: 'FieldValueInvalid', message: 'Invalid value: "yesterday": spec.at in body must be of type date-time: "yesterday"' }] },
    { name: 'maxItems and set', spec: { name: 'ab', tags: ['a', 'a', 'b'] }, want: [{ field: 'spec.tags', reason: 'FieldValueTooMany', message: 'Too many: 3: must have at most 2 items' }, { field: 'spec.tags[1]', reason: 'FieldValueDuplicate', message: 'Duplicate value: "a"' }] },
    { name: 'map list keys and item required', spec: { name: 'ab', workers: [{ type: 'a' }, { type: 'a' }, {}] }, want: [{ field: 'spec.workers[2].type', reason: 'FieldValueRequired', message: 'Required value' }, { field: 'spec.workers[1]', reason: 'FieldValueDuplicate', message: 'Duplicate value: {"type":"a"}' }] },
    { name: 'minItems', spec: { name: 'ab', workers: [] }, want: [{ field: 'spec.workers', reason: 'FieldValueInvalid', message: 'Invalid value: "array": spec.workers in body should have at least 1 items' }] },
    { name: 'additionalProperties type', spec: { name: 'ab', labels: { a: 1 } }, want: [{ field: 'spec.labels.a', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "integer": spec.labels.a in body must be of type string: "integer"' }] },
  ];
  for (const tc of cases) {
    it(`validates: ${tc.name}`, () => {
      expect(validate(schema, { spec: tc.spec })).to.deep.equal(tc.want);
    });
  }
  it('a missing required root field', () => {
    expect(validate(schema, {})).to.deep.equal([{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec' }]);
  });
});
