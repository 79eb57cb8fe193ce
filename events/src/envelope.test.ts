import { expect } from 'chai';
import { decodeEvent, encodeEvent, makeEvent } from './envelope.js';
import { ERROR_CODES, InvalidEventError } from './errors.js';

describe('envelope', () => {
  const now = () => Date.parse('2026-03-04T05:06:07.008Z');

  it('makes an event with the given id and time, and round-trips it', () => {
    const e = makeEvent('resource.applied', 'test', 'mi.desired.model.default.a', { x: 1 }, { id: 'id-1', now });
    expect(e).to.deep.equal({ id: 'id-1', type: 'resource.applied', time: '2026-03-04T05:06:07.008Z', source: 'test', subject: 'mi.desired.model.default.a', data: { x: 1 } });
    expect(decodeEvent(encodeEvent(e))).to.deep.equal(e);
  });

  it('uses a random uuid when no id is given', () => {
    const a = makeEvent('t', 's', 'x', null, { now });
    const b = makeEvent('t', 's', 'x', null, { now });
    expect(a.id).to.match(/^[0-9a-f-]{36}$/);
    expect(a.id).to.not.equal(b.id);
  });

  const bad: { name: string; input: string; says: string }[] = [
    { name: 'not JSON', input: '{nope', says: 'not valid JSON' },
    { name: 'an array', input: '[]', says: 'not a JSON object' },
    { name: 'no id', input: '{"type":"t","time":"x","source":"s","subject":"x","data":1}', says: '"id"' },
    { name: 'empty type', input: '{"id":"i","type":"","time":"x","source":"s","subject":"x","data":1}', says: '"type"' },
    { name: 'no data', input: '{"id":"i","type":"t","time":"x","source":"s","subject":"x"}', says: '"data"' },
  ];
  for (const tc of bad) {
    it(`rejects ${tc.name} with InvalidEventError`, () => {
      let err: unknown;
      try {
        decodeEvent(tc.input);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(InvalidEventError);
      expect((err as InstanceType<typeof InvalidEventError>).code).to.equal(ERROR_CODES.invalidEvent);
      expect((err as Error).message).to.contain(tc.says);
    });
  }
});
