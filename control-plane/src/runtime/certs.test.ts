import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLocalCerts } from './certs.js';
import { ChildStartError } from './errors.js';

describe('runtime/certs: a local CA and a loopback server certificate (real openssl)', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mi-certs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('issues a server certificate for 127.0.0.1 and localhost, signed by the CA, keys 0600', async () => {
    const c = await ensureLocalCerts(join(dir, 'tls'));
    const ca = new X509Certificate(readFileSync(c.caFile));
    const server = new X509Certificate(readFileSync(c.certFile));
    expect(ca.ca).to.equal(true);
    expect(server.ca).to.equal(false);
    expect(server.checkIssued(ca)).to.equal(true);
    expect(server.verify(ca.publicKey)).to.equal(true);
    expect(server.checkIP('127.0.0.1')).to.equal('127.0.0.1');
    expect(server.checkHost('localhost')).to.equal('localhost');
    expect(server.checkHost('example.com')).to.equal(undefined);
    for (const f of [c.keyFile, join(dir, 'tls', 'ca.key')]) expect(statSync(f).mode & 0o777).to.equal(0o600);
  });

  it('keeps existing certificates (openssl is not run again)', async () => {
    const before = readFileSync(join(dir, 'tls', 'server.pem'), 'utf8');
    const c = await ensureLocalCerts(join(dir, 'tls'), () => Promise.reject(new Error('must not run')));
    expect(readFileSync(c.certFile, 'utf8')).to.equal(before);
  });

  it('says how to go on when openssl fails', async () => {
    const err = await ensureLocalCerts(join(dir, 'other'), () => Promise.reject(Object.assign(new Error('spawn openssl ENOENT'), { stderr: '' }))).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ChildStartError);
    expect((err as Error).message).to.match(/spawn openssl ENOENT.*--insecure-nats/);
  });
});
