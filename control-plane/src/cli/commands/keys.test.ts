// `mi keys create|list|revoke` in process on a temp file, and the pure core with time and
// randomness passed in: the key is printed once, the file holds only its hash and loads in the
// gateway's parser, bad arguments exit 1, revoking an unknown id exits 2.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashApiKey, parseApiKeyFile } from '@matrixinfer/schemas';
import { runMi } from '../mi.js';
import { captureIO } from '../testing.js';
import { createKey, emptyKeyFile, expiresAt, keyTable, revokeKey } from '../api-keys.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');

describe('mi keys', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mi-keys-cli-'));
    file = join(dir, 'keys.yaml');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function mi(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const c = captureIO({ nowMs: NOW });
    const code = await runMi(args, c.io);
    return { code, out: c.out, err: c.err };
  }

  it('creates keys (printed once, hash stored, mode 0600), lists and revokes them', async () => {
    const a = await mi('keys', 'create', 'team-a', '--models', 'llama, qwen-*', '--rpm', '60', '--tpm', '5000', '--priority', 'high', '--expires', '90d', '--file', file);
    expect(a.code, a.err.join('\n')).to.equal(0);
    expect(a.out).to.have.length(1);
    const key = a.out[0];
    expect(key).to.match(/^mi-sk-[A-Za-z0-9_-]{43}$/);
    const text = readFileSync(file, 'utf8');
    expect(text).to.not.include(key);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    const parsed = parseApiKeyFile(text);
    expect(parsed.keys).to.deep.equal([{ id: 'team-a', sha256: hashApiKey(key), models: ['llama', 'qwen-*'], rpm: 60, tpm: 5000, priority: 'high', expires: '2027-03-07T12:00:00Z', created: '2026-12-07T12:00:00Z' }]);
    const b = await mi('keys', 'create', 'ops', '--models', '*', '--admin', '--file', file);
    expect(b.code).to.equal(0);
    expect(b.out[0]).to.not.equal(key);

    const list = await mi('keys', 'list', '--file', file);
    expect(list.code).to.equal(0);
    expect(list.out[0]).to.match(/^ID\s+MODELS\s+RPM\s+TPM\s+PRIORITY\s+EXPIRES\s+ADMIN\s+STATUS$/);
    expect(list.out[1]).to.match(/^team-a\s+llama,qwen-\*\s+60\s+5000\s+high\s+2027-03-07T12:00:00Z\s+no\s+active$/);
    expect(list.out.join('\n')).to.not.include(hashApiKey(key));
    const json = await mi('keys', 'list', '--file', file, '-o', 'json');
    expect((JSON.parse(json.out[0]) as Array<Record<string, unknown>>).map((k) => [k.id, 'sha256' in k])).to.deep.equal([['team-a', false], ['ops', false]]);

    const r = await mi('keys', 'revoke', 'team-a', '--file', file);
    expect(r.code).to.equal(0);
    expect(parseApiKeyFile(readFileSync(file, 'utf8')).keys.map((k) => k.id)).to.deep.equal(['ops']);
  });

  const bad: Array<{ name: string; args: string[]; code: number; err: RegExp }> = [
    { name: 'no --models', args: ['keys', 'create', 'a'], code: 1, err: /--models/ },
    { name: 'a bad name', args: ['keys', 'create', 'Team A', '--models', 'm'], code: 1, err: /keys\[0\]\.id/ },
    { name: 'a zero rpm', args: ['keys', 'create', 'a', '--models', 'm', '--rpm', '0'], code: 1, err: /not a positive integer/ },
    { name: 'an unknown band', args: ['keys', 'create', 'a', '--models', 'm', '--priority', 'urgent'], code: 1, err: /priority/ },
    { name: 'a bad expiry', args: ['keys', 'create', 'a', '--models', 'm', '--expires', 'soon'], code: 1, err: /--expires soon/ },
    { name: 'revoking an unknown id', args: ['keys', 'revoke', 'nobody'], code: 2, err: /no key "nobody"/ },
  ];
  for (const tc of bad) {
    it(`exits ${tc.code} on ${tc.name}`, async () => {
      writeFileSync(file, 'format: mi.apikeys/v1\nkeys: []\n');
      const r = await mi(...tc.args, '--file', file);
      expect(r.code).to.equal(tc.code);
      expect(r.err.join('\n')).to.match(tc.err);
    });
  }

  it('refuses to touch an invalid file (exit 1) and a duplicate id', async () => {
    writeFileSync(file, 'format: v0\n');
    const r = await mi('keys', 'create', 'a', '--models', 'm', '--file', file);
    expect(r.code).to.equal(1);
    expect(readFileSync(file, 'utf8')).to.equal('format: v0\n');
    const f = createKey(emptyKeyFile(), { id: 'a', models: ['m'] }, NOW, (n) => new Uint8Array(n), 'f').file;
    expect(() => createKey(f, { id: 'a', models: ['m'] }, NOW, (n) => new Uint8Array(n).fill(1), 'f')).to.throw(/already holds a key "a"/);
    expect(() => revokeKey(f, 'b', 'f')).to.throw(/no key "b" in f/);
  });

  it('reads --expires as a time or a span, and marks expired keys in the list', () => {
    expect(expiresAt('2027-01-31T00:00:00Z', NOW)).to.equal('2027-01-31T00:00:00Z');
    expect(expiresAt('12h', NOW)).to.equal('2026-12-08T00:00:00Z');
    expect(expiresAt('1d', NOW)).to.equal('2026-12-08T12:00:00Z');
    expect(() => expiresAt('0d', NOW)).to.throw(/future/);
    const f = createKey(emptyKeyFile(), { id: 'a', models: ['m'], expires: '1h' }, NOW, (n) => new Uint8Array(n), 'f').file;
    expect(keyTable(f, NOW)).to.match(/active$/);
    expect(keyTable(f, NOW + 3_600_000)).to.match(/expired$/);
  });
});
