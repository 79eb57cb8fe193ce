// Pure parts of gateway API keys: scopes, Bearer parsing, authentication, priority bands, the
// admin gate and the per-key limiter (time passed in).
import { expect } from 'chai';
import fc from 'fast-check';
import { hashApiKey, type ApiKeyRecord } from '@matrixinfer/schemas';
import { adminAccess, isLoopbackHost, tokenDigest, type AdminPolicy } from './admin-gate.js';
import { authenticate, bandOf, bearerToken } from './authenticate.js';
import { KeyLimiter, resetText } from './key-limits.js';
import { decodeKeyShare } from './key-share.js';
import { compileKeyStore, type ApiKey } from './key-store.js';
import { compileScope, globToRegExp } from './scope.js';

const T0 = Date.parse('2026-12-07T12:00:00Z');

function store(...records: Array<Partial<ApiKeyRecord> & { id: string; key: string }>) {
  return compileKeyStore({ format: 'mi.apikeys/v1', keys: records.map(({ key, ...r }) => ({ models: ['*'], ...r, sha256: hashApiKey(key) })) });
}

function keyOf(r: Partial<ApiKeyRecord>): ApiKey {
  return store({ id: 'k', key: 'mi-sk-k', ...r }).keys()[0];
}

describe('gateway API keys: scopes', () => {
  const cases: Array<{ patterns: string[]; yes: string[]; no: string[] }> = [
    { patterns: ['*'], yes: ['llama', 'anything/at:all'], no: [] },
    { patterns: ['llama'], yes: ['llama'], no: ['llama-2', 'Llama', 'xllama'] },
    { patterns: ['qwen-*'], yes: ['qwen-7b', 'qwen-'], no: ['qwen', 'my-qwen-7b'] },
    { patterns: ['*-lora', 'base'], yes: ['a-lora', 'base'], no: ['a-lora2', 'based'] },
    { patterns: ['org/*.v1'], yes: ['org/x.v1'], no: ['org/xav1', 'org/x.v12'] },
    { patterns: ['a*b*c'], yes: ['abc', 'aXbYc'], no: ['acb'] },
  ];
  for (const tc of cases) {
    it(`${JSON.stringify(tc.patterns)} allows ${tc.yes.join(', ') || 'all'} and not ${tc.no.join(', ') || '-'}`, () => {
      const allows = compileScope(tc.patterns);
      for (const m of tc.yes) expect(allows(m), m).to.equal(true);
      for (const m of tc.no) expect(allows(m), m).to.equal(false);
    });
  }
  it('treats regexp characters in globs literally', () => {
    expect(globToRegExp('a.(b)+[c]').test('a.(b)+[c]')).to.equal(true);
    expect(globToRegExp('a.(b)+[c]').test('aX(b)+[c]')).to.equal(false);
  });
});

describe('gateway API keys: authentication', () => {
  const s = store({ id: 'alive', key: 'mi-sk-alive' }, { id: 'old', key: 'mi-sk-old', expires: '2026-12-07T11:00:00Z' });
  const cases: Array<{ name: string; header: string | undefined; expect: string }> = [
    { name: 'no header', header: undefined, expect: 'missing' },
    { name: 'empty header', header: '', expect: 'missing' },
    { name: 'another scheme', header: 'Basic bWk6c2s=', expect: 'missing' },
    { name: 'Bearer without a token', header: 'Bearer ', expect: 'missing' },
    { name: 'two tokens', header: 'Bearer a b', expect: 'missing' },
    { name: 'unknown key', header: 'Bearer mi-sk-nope', expect: 'unknown' },
    { name: 'the hash sent as the key', header: `Bearer ${hashApiKey('mi-sk-alive')}`, expect: 'unknown' },
    { name: 'expired key', header: 'Bearer mi-sk-old', expect: 'expired' },
    { name: 'valid key', header: 'Bearer mi-sk-alive', expect: 'alive' },
    { name: 'scheme in any case, extra blanks', header: 'bEaReR   mi-sk-alive  ', expect: 'alive' },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const a = authenticate(s, tc.header, T0);
      expect(a.ok ? a.key.id : a.reason).to.equal(tc.expect);
    });
  }
  it('refuses a key from the millisecond it expires', () => {
    const exp = Date.parse('2026-12-07T11:00:00Z');
    expect(authenticate(s, 'Bearer mi-sk-old', exp - 1).ok).to.equal(true);
    expect(authenticate(s, 'Bearer mi-sk-old', exp).ok).to.equal(false);
  });
  it('never throws on any Authorization value and admits only the exact key', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((t) => `Bearer ${t}`), fc.constant('Bearer mi-sk-alive').map((h) => h.slice(0, -1))), (header) => {
        const a = authenticate(s, header, T0);
        expect(a.ok).to.equal(bearerToken(header) === 'mi-sk-alive');
      }),
      { numRuns: 500, seed: 18 },
    );
  });

  it('parses Bearer tokens', () => {
    expect(bearerToken('Bearer abc')).to.equal('abc');
    expect(bearerToken(undefined)).to.equal(null);
  });
});

describe('gateway API keys: priority band of a request', () => {
  const cases: Array<{ name: string; key: Partial<ApiKeyRecord> | null; asked: number | undefined; band: number }> = [
    { name: 'no keys, no header: the default', key: null, asked: undefined, band: 1 },
    { name: 'no keys: the header', key: null, asked: 0, band: 0 },
    { name: 'a key without a band: the header', key: {}, asked: 0, band: 0 },
    { name: "a key's band when no header", key: { priority: 'high' }, asked: undefined, band: 0 },
    { name: 'a header lowering the band', key: { priority: 'high' }, asked: 2, band: 2 },
    { name: 'a header cannot raise above the key', key: { priority: 'low' }, asked: 0, band: 2 },
  ];
  for (const tc of cases) it(tc.name, () => expect(bandOf(tc.key === null ? null : keyOf(tc.key), tc.asked, 1)).to.equal(tc.band));
});

describe('gateway API keys: admin gate', () => {
  const token = 'admin-token-0123456789';
  const withToken: AdminPolicy = { tokenDigest: tokenDigest(token), loopback: true };
  const openLoopback: AdminPolicy = { tokenDigest: null, loopback: true };
  const publicNoToken: AdminPolicy = { tokenDigest: null, loopback: false };
  const keys = store({ id: 'user', key: 'mi-sk-user' }, { id: 'ops', key: 'mi-sk-ops', admin: true }, { id: 'ops-old', key: 'mi-sk-ops-old', admin: true, expires: '2026-01-01' });
  const userOnly = store({ id: 'user', key: 'mi-sk-user' });
  const cases: Array<{ name: string; policy: AdminPolicy; keys: ReturnType<typeof store> | null; header?: string; access: string }> = [
    { name: 'loopback, no credential configured: open', policy: openLoopback, keys: null, access: 'allow' },
    { name: 'loopback, user keys only: open', policy: openLoopback, keys: userOnly, access: 'allow' },
    { name: 'public, no credential configured: off', policy: publicNoToken, keys: userOnly, header: 'Bearer mi-sk-user', access: 'off' },
    { name: 'token configured, none sent', policy: withToken, keys: null, access: 'unauthorized' },
    { name: 'token configured, wrong one', policy: withToken, keys: null, header: 'Bearer admin-token-x', access: 'unauthorized' },
    { name: 'token configured, right one', policy: withToken, keys: null, header: `Bearer ${token}`, access: 'allow' },
    { name: 'admin key on a public listener', policy: publicNoToken, keys, header: 'Bearer mi-sk-ops', access: 'allow' },
    { name: 'a user key is not an admin key', policy: publicNoToken, keys, header: 'Bearer mi-sk-user', access: 'unauthorized' },
    { name: 'an expired admin key', policy: publicNoToken, keys, header: 'Bearer mi-sk-ops-old', access: 'unauthorized' },
    { name: 'admin key with a token configured too', policy: withToken, keys, header: 'Bearer mi-sk-ops', access: 'allow' },
  ];
  for (const tc of cases) it(tc.name, () => expect(adminAccess(tc.policy, tc.keys, tc.header, T0)).to.equal(tc.access));

  it('knows loopback listen addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).to.equal(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '::ffff:10.0.0.1']) expect(isLoopbackHost(h), h).to.equal(false);
  });
});

describe('gateway API keys: per-key limits', () => {
  it('refuses the request beyond rpm with OpenAI headers, and admits again as the bucket refills', () => {
    const l = new KeyLimiter();
    const k = keyOf({ rpm: 2 });
    for (let i = 0; i < 2; i++) {
      expect(l.check(k, 0, T0).ok).to.equal(true);
      l.take(k, 0, T0);
    }
    const refused = l.check(k, 0, T0);
    expect(refused).to.deep.equal({ ok: false, limit: 'requests', retryAfterS: 30, headers: { 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1m0s' } });
    expect(l.check(k, 0, T0 + 29_999).ok).to.equal(false);
    expect(l.check(k, 0, T0 + 30_000).ok).to.equal(true);
  });

  it('takes prompt tokens at admission, charges the rest after, and blocks while in debt', () => {
    const l = new KeyLimiter();
    const k = keyOf({ tpm: 100 });
    expect(l.check(k, 60, T0).ok).to.equal(true);
    l.take(k, 60, T0);
    expect(l.check(k, 60, T0)).to.include({ ok: false, limit: 'tokens' });
    expect(l.check(k, 40, T0).ok).to.equal(true);
    l.charge(k, 100, T0); // completion tokens: 100 - 60 - 100 = -60
    const r = l.check(k, 1, T0);
    expect(r.ok).to.equal(false);
    if (!r.ok) {
      expect(r.headers['x-ratelimit-remaining-tokens']).to.equal('0');
      expect(r.headers['x-ratelimit-limit-tokens']).to.equal('100');
      expect(r.retryAfterS).to.equal(37); // 61 tokens at 100/min
    }
    expect(l.check(k, 1, T0 + 36_600).ok).to.equal(true);
  });

  it('keeps spending across a reload with the same limits and starts fresh when they change', () => {
    const l = new KeyLimiter();
    l.take(keyOf({ rpm: 1 }), 0, T0);
    expect(l.check(keyOf({ rpm: 1 }), 0, T0).ok).to.equal(false);
    expect(l.check(keyOf({ rpm: 2 }), 0, T0).ok).to.equal(true);
    l.retain(new Set());
    expect(l.debug(T0)).to.deep.equal({});
  });

  it("notes what it took for the peers and takes theirs out of its own buckets", () => {
    const l = new KeyLimiter();
    const k = keyOf({ rpm: 10, tpm: 1000 });
    l.take(k, 30, T0);
    l.charge(k, 5, T0);
    l.take(keyOf({}), 99, T0);
    expect(Object.fromEntries(l.drainUnshared())).to.deep.equal({ k: { requests: 1, tokens: 35 } });
    expect(l.drainUnshared().size).to.equal(0);
    l.applyPeer(k, 9, 900, T0);
    expect(l.debug(T0)).to.deep.equal({ k: { requests: 0, tokens: 65 } });
    expect(l.check(k, 1, T0)).to.include({ ok: false, limit: 'requests' });
    expect(l.drainUnshared().size, 'peer consumption is not sent on').to.equal(0);
  });

  it('decodes peer messages and ignores anything else', () => {
    const enc = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
    expect(decodeKeyShare(enc({ v: 1, gateway: 'g', keys: { a: [1, 2] } }))).to.deep.equal({ v: 1, gateway: 'g', keys: { a: [1, 2] } });
    for (const bad of ['{', 'null', { v: 2, gateway: 'g', keys: {} }, { v: 1, keys: {} }, { v: 1, gateway: 'g', keys: [] }, { v: 1, gateway: 'g', keys: { a: [1] } }, { v: 1, gateway: 'g', keys: { a: [-1, 0] } }, { v: 1, gateway: 'g', keys: { a: ['1', 0] } }]) {
      expect(decodeKeyShare(enc(bad)), JSON.stringify(bad)).to.equal(null);
    }
  });

  it('ignores keys without limits', () => {
    const l = new KeyLimiter();
    const k = keyOf({});
    l.take(k, 1e9, T0);
    l.charge(k, 1e9, T0);
    expect(l.check(k, 1e9, T0).ok).to.equal(true);
    expect(l.debug(T0)).to.deep.equal({});
  });

  it('writes resets as OpenAI does', () => {
    expect([resetText(12.2), resetText(999), resetText(1000), resetText(59_001), resetText(63_000)]).to.deep.equal(['13ms', '999ms', '1s', '1m0s', '1m3s']);
  });
});
