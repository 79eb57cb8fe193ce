import { expect } from 'chai';
import { API_KEY_PREFIX, ApiKeyFileError, formatApiKeyFile, hashApiKey, makeApiKey, parseApiKeyFile, type ApiKeyFile } from './api-keys.js';

const H = 'a'.repeat(64);
const H2 = 'b'.repeat(64);

function expectProblems(text: string, ...fragments: string[]): void {
  let err: unknown;
  try {
    parseApiKeyFile(text, 'keys.yaml');
  } catch (e) {
    err = e;
  }
  expect(err, 'should throw').to.be.instanceOf(ApiKeyFileError);
  const e = err as ApiKeyFileError;
  expect(e.code).to.equal('MI_ERR_API_KEYS');
  expect(e.message).to.match(/^keys\.yaml: /);
  for (const f of fragments) expect(e.problems.some((p) => p.includes(f)), `a problem containing ${JSON.stringify(f)} in ${JSON.stringify(e.problems)}`).to.equal(true);
  expect(e.problems.length).to.equal(fragments.length);
}

describe('api key file (mi.apikeys/v1)', () => {
  it('parses a full record and an empty list', () => {
    const f = parseApiKeyFile(`format: mi.apikeys/v1
keys:
- id: team-a
  sha256: ${H}
  models: [llama, "qwen-*"]
  rpm: 60
  tpm: 10000
  priority: high
  expires: 2027-01-31T00:00:00Z
  admin: false
  created: 2026-12-07T10:00:00Z
`);
    expect(f.keys).to.deep.equal([{ id: 'team-a', sha256: H, models: ['llama', 'qwen-*'], rpm: 60, tpm: 10000, priority: 'high', expires: '2027-01-31T00:00:00Z', admin: false, created: '2026-12-07T10:00:00Z' }]);
    expect(parseApiKeyFile('{"format":"mi.apikeys/v1","keys":[]}').keys).to.deep.equal([]);
  });

  it('round-trips through formatApiKeyFile', () => {
    const f: ApiKeyFile = { format: 'mi.apikeys/v1', keys: [{ id: 'a', sha256: H, models: ['*'] }, { id: 'b.c', sha256: H2, models: ['m'], tpm: 5, expires: '2027-01-01' }] };
    expect(parseApiKeyFile(formatApiKeyFile(f))).to.deep.equal(f);
  });

  const bad: Array<{ name: string; text: string; problems: string[] }> = [
    { name: 'empty text', text: '', problems: ['must be a mapping'] },
    { name: 'a list at the top', text: '- a', problems: ['must be a mapping'] },
    { name: 'YAML syntax', text: 'format: [', problems: ['line'] },
    { name: 'duplicate YAML keys', text: 'format: a\nformat: b\nkeys: []', problems: ['line'] },
    { name: 'wrong format', text: 'format: v2\nkeys: []', problems: ['format: must be mi.apikeys/v1'] },
    { name: 'no keys list', text: 'format: mi.apikeys/v1', problems: ['keys: must be a list'] },
    { name: 'unknown top field', text: 'format: mi.apikeys/v1\nkeys: []\nextra: 1', problems: ['extra: unknown field'] },
    { name: 'record not a mapping', text: 'format: mi.apikeys/v1\nkeys: [x]', problems: ['keys[0]: must be a mapping'] },
    { name: 'bad id', text: `format: mi.apikeys/v1\nkeys: [{id: "Team A", sha256: ${H}, models: [m]}]`, problems: ['keys[0].id'] },
    { name: 'raw key instead of hash', text: 'format: mi.apikeys/v1\nkeys: [{id: a, sha256: mi-sk-abc, models: [m]}]', problems: ['keys[0].sha256'] },
    { name: 'upper-case hash', text: `format: mi.apikeys/v1\nkeys: [{id: a, sha256: ${'A'.repeat(64)}, models: [m]}]`, problems: ['keys[0].sha256'] },
    { name: 'no models', text: `format: mi.apikeys/v1\nkeys: [{id: a, sha256: ${H}, models: []}]`, problems: ['keys[0].models: must be a non-empty list'] },
    { name: 'bad model pattern', text: `format: mi.apikeys/v1\nkeys: [{id: a, sha256: ${H}, models: [ok, "a b", 3]}]`, problems: ['keys[0].models[1]', 'keys[0].models[2]'] },
    { name: 'rpm zero, tpm fraction', text: `format: mi.apikeys/v1\nkeys: [{id: a, sha256: ${H}, models: [m], rpm: 0, tpm: 1.5}]`, problems: ['keys[0].rpm', 'keys[0].tpm'] },
    { name: 'unknown priority', text: `format: mi.apikeys/v1\nkeys: [{id: a, sha256: ${H}, models: [m], priority: urgent}]`, problems: ['keys[0].priority: must be one of high, normal, low'] },
    { name: 'bad expiry', text: `format: mi.apikeys/v1\nkeys: [{id: a, sha256: ${H}, models: [m], expires: tomorrow}]`, problems: ['keys[0].expires'] },
    { name: 'expiry without zone', text: `format: mi.apikeys/v1\nkeys: [{id: a, sha256: ${H}, models: [m], expires: "2027-01-01T00:00:00"}]`, problems: ['keys[0].expires'] },
    { name: 'admin not boolean', text: `format: mi.apikeys/v1\nkeys: [{id: a, sha256: ${H}, models: [m], admin: "yes"}]`, problems: ['keys[0].admin'] },
    { name: 'unknown record field (a raw key)', text: `format: mi.apikeys/v1\nkeys: [{id: a, sha256: ${H}, models: [m], key: mi-sk-x}]`, problems: ['keys[0].key: unknown field'] },
    { name: 'duplicate id', text: `format: mi.apikeys/v1\nkeys: [{id: a, sha256: ${H}, models: [m]}, {id: a, sha256: ${H2}, models: [m]}]`, problems: ['keys[1].id: "a" is also keys[0].id'] },
    { name: 'duplicate hash', text: `format: mi.apikeys/v1\nkeys: [{id: a, sha256: ${H}, models: [m]}, {id: b, sha256: ${H}, models: [m]}]`, problems: ['keys[1].sha256: the same key as keys[0]'] },
  ];
  for (const tc of bad) it(`rejects ${tc.name}`, () => expectProblems(tc.text, ...tc.problems));

  it('makes mi-sk- keys of 256 random bits and hashes them as SHA-256 hex', () => {
    const key = makeApiKey((n) => new Uint8Array(n).fill(7));
    expect(key.startsWith(API_KEY_PREFIX)).to.equal(true);
    expect(Buffer.from(key.slice(API_KEY_PREFIX.length), 'base64url')).to.deep.equal(Buffer.alloc(32, 7));
    expect(hashApiKey('abc')).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(() => makeApiKey(() => new Uint8Array(4))).to.throw(RangeError);
  });
});
