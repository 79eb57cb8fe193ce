import { expect } from 'chai';
import { randomBytes, X509Certificate } from 'node:crypto';
import { Writable } from 'node:stream';
import { CoreV1Api } from '@kubernetes/client-node';
import winston from 'winston';
import { testCluster, type TestCluster } from '../testing/apiserver/cluster.js';
import { natsServerDnsNames } from '../install/nats-users.js';
import { NatsSecretError } from './nats-secret-error.js';
import { ensureNatsTls } from './nats-tls.js';

describe('NATS TLS Secret (test API server, or KUBECONFIG)', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let core: CoreV1Api;
  const made: string[] = [];
  const logs: string[] = [];
  const logger = winston.createLogger({ transports: [new winston.transports.Stream({ stream: new Writable({ write: (c: Buffer, _e, done) => (logs.push(c.toString()), done()) }) })] });
  const namespace = 'default';
  const name = (tag: string) => {
    const n = `mi-nats-tls-${tag}-${randomBytes(3).toString('hex')}`;
    made.push(n);
    return n;
  };
  const opts = (secretName: string) => ({ kubeConfig: cluster.kubeConfig, namespace, secretName, dnsNames: natsServerDnsNames('mi'), logger });

  before(async () => {
    cluster = await testCluster();
    core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  });
  after(async () => {
    for (const n of made) await core.deleteNamespacedSecret({ name: n, namespace }).catch(() => undefined);
    await cluster?.stop();
  });

  it('makes a kubernetes.io/tls Secret: a server certificate for the Service names signed by its own CA; later starts read the same one', async () => {
    const n = name('new');
    const t = await ensureNatsTls(opts(n));
    const cert = new X509Certificate(t.cert);
    expect(cert.subjectAltName).to.equal('DNS:nats, DNS:nats.mi, DNS:nats.mi.svc, DNS:nats.mi.svc.cluster.local');
    expect(cert.verify(new X509Certificate(t.ca).publicKey)).to.equal(true);
    expect(new X509Certificate(t.ca).ca).to.equal(true);
    // About five years (the default), never already expired.
    expect(t.notAfter.getTime() - Date.now()).to.be.within(4.9 * 365 * 24 * 3600_000, 5.1 * 365 * 24 * 3600_000);
    const stored = await core.readNamespacedSecret({ name: n, namespace });
    expect(stored.type).to.equal('kubernetes.io/tls');
    expect(Object.keys(stored.data!).sort()).to.deep.equal(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    expect(await ensureNatsTls(opts(n))).to.deep.equal(t);
    expect(logs.join('')).to.include('NATS TLS Secret created').and.not.include('PRIVATE KEY');
  });

  it('two replicas starting together end with the same certificate', async () => {
    const n = name('race');
    const [a, b] = await Promise.all([ensureNatsTls(opts(n)), ensureNatsTls(opts(n))]);
    expect(b.cert).to.equal(a.cert);
  });

  it('refuses a Secret without the three keys or with a broken certificate, naming what is wrong, and leaves it alone', async () => {
    const partial = name('partial');
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: partial, namespace }, data: { 'tls.crt': Buffer.from('x').toString('base64') } } });
    const err = await ensureNatsTls(opts(partial)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(NatsSecretError);
    expect((err as Error).message).to.include(`default/${partial} has no tls.key, ca.crt`);
    const broken = name('broken');
    const data = Object.fromEntries(['tls.crt', 'tls.key', 'ca.crt'].map((k) => [k, Buffer.from('not a pem').toString('base64')]));
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: broken, namespace }, data } });
    expect(String(await ensureNatsTls(opts(broken)).catch((e: Error) => e.message))).to.include(`default/${broken}: tls.crt is not a PEM certificate`);
    expect(Object.keys((await core.readNamespacedSecret({ name: partial, namespace })).data!)).to.deep.equal(['tls.crt']);
  });

  it('warns when the certificate in the Secret has expired', async () => {
    const n = name('expired');
    await ensureNatsTls({ ...opts(n), validityMs: 60_000 });
    logs.length = 0;
    await ensureNatsTls({ ...opts(n), now: () => new Date(Date.now() + 3600_000) });
    expect(logs.join('')).to.include('the NATS server certificate has expired');
  });
});
