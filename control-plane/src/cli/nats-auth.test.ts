import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliNatsTarget } from './nats-auth.js';

describe('cli/nats-auth: mi finds the admin credentials of a local mi up', () => {
  let cwd: string;
  const admin = { url: 'nats://127.0.0.1:4222', user: 'mi-admin', password: 'pw', inboxPrefix: '_INBOX_mi-admin', caFile: '/ca.pem' };
  before(() => {
    cwd = mkdtempSync(join(tmpdir(), 'mi-cli-auth-'));
    mkdirSync(join(cwd, '.mi-data', 'secrets'), { recursive: true });
    writeFileSync(join(cwd, '.mi-data', 'secrets', 'nats-mi-admin.json'), JSON.stringify(admin));
  });
  after(() => rmSync(cwd, { recursive: true, force: true }));

  const cases: { name: string; url?: string; env: Record<string, string>; want: { url?: string; auth: boolean } }[] = [
    { name: 'no URL given: the file, with its URL', env: {}, want: { url: admin.url, auth: true } },
    { name: 'the same server by --nats-url (localhost spelling)', url: 'nats://localhost:4222', env: {}, want: { url: 'nats://localhost:4222', auth: true } },
    { name: 'the same server by NATS_URL', env: { NATS_URL: 'nats://127.0.0.1:4222' }, want: { url: 'nats://127.0.0.1:4222', auth: true } },
    { name: 'another server: the credentials are not sent', url: 'nats://10.0.0.5:4222', env: {}, want: { url: 'nats://10.0.0.5:4222', auth: false } },
    { name: 'explicit MI_NATS_USER wins (read by connectNats)', env: { MI_NATS_USER: 'u' }, want: { url: undefined, auth: false } },
    { name: 'another data dir without a file', env: { MI_DATA_DIR: 'elsewhere' }, want: { url: undefined, auth: false } },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const t = cliNatsTarget(tc.url, tc.env, cwd);
      expect(t.url).to.equal(tc.want.url);
      expect(t.auth !== undefined).to.equal(tc.want.auth);
      if (tc.want.auth) expect(t.auth).to.deep.include({ user: 'mi-admin', password: 'pw', caFile: '/ca.pem' });
    });
  }
});
