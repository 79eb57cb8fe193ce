// The NATS Secrets the controller reads and makes (credentials and TLS), against the test API
// server, or a real cluster when KUBECONFIG is set.
import { expect } from 'chai';
import { randomBytes, X509Certificate } from 'node:crypto';
import { Writable } from 'node:stream';
import { CoreV1Api } from '@kubernetes/client-node';
import winston from 'winston';
import { testCluster, type TestCluster } from '../testing/apiserver/cluster.js';
import { K8S_NATS_USERS, natsServerDnsNames } from '../install/nats-users.js';
import { ensureNatsCredentials, NatsCredentialsSecretError } from './nats-credentials.js';
import { NatsSecretError } from './nats-secret-error.js';
import { ensureNatsTls } from './nats-tls.js';

describe('NATS Secrets: credentials and TLS (test API server, or KUBECONFIG)', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let core: CoreV1Api;
  const made: string[] = [];
  const logs: string[] = [];
  const logger = winston.createLogger({ transports: [new winston.transports.Stream({ stream: new Writable({ write: (c: Buffer, _e, done) => (logs.push(c.toString()), done()) }) })] });
  const namespace = 'default';
  // A name per test: the suite may run against a real cluster.
  const name = (tag: string) => {
    const n = `mi-nats-${tag}-${randomBytes(3).toString('hex')}`;
    made.push(n);
    return n;
  };
  const credOpts = (secretName: string) => ({ kubeConfig: cluster.kubeConfig, namespace, secretName, randomBytes, logger });
  const tlsOpts = (secretName: string) => ({ kubeConfig: cluster.kubeConfig, namespace, secretName, dnsNames: natsServerDnsNames('mi'), logger });

  before(async () => {
    cluster = await testCluster();
    core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  });
  after(async () => {
    for (const n of made) await core.deleteNamespacedSecret({ name: n, namespace }).catch(() => undefined);
    await cluster?.stop();
  });

  describe('mi-nats-credentials', () => {
    it('makes the Secret with a distinct random password per user, and reads the same one back', async () => {
      const n = name('creds-new');
      const first = await ensureNatsCredentials(credOpts(n));
      expect(Object.keys(first).sort()).to.deep.equal(K8S_NATS_USERS.map((u) => u.secretKey).sort());
      expect(new Set(Object.values(first)).size).to.equal(K8S_NATS_USERS.length);
      for (const p of Object.values(first)) expect(p).to.match(/^p[A-Za-z0-9_-]{32}$/);
      const stored = await core.readNamespacedSecret({ name: n, namespace });
      expect(Buffer.from(stored.data!['control-plane']!, 'base64').toString()).to.equal(first['control-plane']);
      expect(await ensureNatsCredentials(credOpts(n))).to.deep.equal(first);
      // The log names the keys, never a value.
      const text = logs.join('');
      expect(text).to.include('NATS credentials Secret created');
      for (const p of Object.values(first)) expect(text).to.not.include(p);
    });

    it('two replicas starting together end with the same passwords (one create wins, the other reads it)', async () => {
      const n = name('creds-race');
      const [a, b, c] = await Promise.all([ensureNatsCredentials(credOpts(n)), ensureNatsCredentials(credOpts(n)), ensureNatsCredentials(credOpts(n))]);
      expect(b).to.deep.equal(a);
      expect(c).to.deep.equal(a);
    });

    it('uses a Secret made by the user as it is, and names the missing key of an incomplete one without touching it', async () => {
      const n = name('creds-user');
      const data = Object.fromEntries(K8S_NATS_USERS.map((u) => [u.secretKey, Buffer.from(`pw-${u.secretKey}`).toString('base64')]));
      await core.createNamespacedSecret({ namespace, body: { metadata: { name: n, namespace }, data } });
      expect((await ensureNatsCredentials(credOpts(n)))['gateway']).to.equal('pw-gateway');

      const partial = name('creds-partial');
      await core.createNamespacedSecret({ namespace, body: { metadata: { name: partial, namespace }, data: { admin: data.admin! } } });
      const err = await ensureNatsCredentials(credOpts(partial)).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(NatsCredentialsSecretError);
      expect((err as NatsCredentialsSecretError).code).to.equal('MI_ERR_NATS_CREDENTIALS');
      expect((err as Error).message).to.include(`default/${partial} has no control-plane, gateway keys`);
      expect(Object.keys((await core.readNamespacedSecret({ name: partial, namespace })).data!)).to.deep.equal(['admin']);
      // A password nats-server would read as a number (it starts with a digit) is refused by key.
      const numeric = name('creds-numeric');
      await core.createNamespacedSecret({ namespace, body: { metadata: { name: numeric, namespace }, data: { ...data, gateway: Buffer.from('0Oabc').toString('base64') } } });
      const bad = await ensureNatsCredentials(credOpts(numeric)).catch((e: Error) => e.message);
      expect(bad).to.include('the gateway password cannot be given to nats-server').and.not.include('0Oabc');
    });

    it('names the Secret when the namespace does not exist', async () => {
      const err = await ensureNatsCredentials({ ...credOpts('mi-nats-credentials'), namespace: `no-such-ns-${randomBytes(3).toString('hex')}` }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(NatsCredentialsSecretError);
      expect((err as Error).message).to.match(/cannot create Secret no-such-ns-[0-9a-f]+\/mi-nats-credentials/);
    });
  });

  describe('mi-nats-tls', () => {
    it('makes a kubernetes.io/tls Secret: a server certificate for the Service names signed by its own CA; later starts read the same one', async () => {
      const n = name('tls-new');
      const t = await ensureNatsTls(tlsOpts(n));
      const cert = new X509Certificate(t.cert);
      expect(cert.subjectAltName).to.equal('DNS:nats, DNS:nats.mi, DNS:nats.mi.svc, DNS:nats.mi.svc.cluster.local');
      expect(cert.verify(new X509Certificate(t.ca).publicKey)).to.equal(true);
      expect(new X509Certificate(t.ca).ca).to.equal(true);
      // About five years (the default), never already expired.
      expect(t.notAfter.getTime() - Date.now()).to.be.within(4.9 * 365 * 24 * 3600_000, 5.1 * 365 * 24 * 3600_000);
      const stored = await core.readNamespacedSecret({ name: n, namespace });
      expect(stored.type).to.equal('kubernetes.io/tls');
      expect(Object.keys(stored.data!).sort()).to.deep.equal(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
      expect(await ensureNatsTls(tlsOpts(n))).to.deep.equal(t);
      expect(logs.join('')).to.include('NATS TLS Secret created').and.not.include('PRIVATE KEY');
    });

    it('two replicas starting together end with the same certificate', async () => {
      const n = name('tls-race');
      const [a, b] = await Promise.all([ensureNatsTls(tlsOpts(n)), ensureNatsTls(tlsOpts(n))]);
      expect(b.cert).to.equal(a.cert);
    });

    it('refuses a Secret without the three keys or with a broken certificate, naming what is wrong, and leaves it alone', async () => {
      const partial = name('tls-partial');
      await core.createNamespacedSecret({ namespace, body: { metadata: { name: partial, namespace }, data: { 'tls.crt': Buffer.from('x').toString('base64') } } });
      const err = await ensureNatsTls(tlsOpts(partial)).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(NatsSecretError);
      expect((err as Error).message).to.include(`default/${partial} has no tls.key, ca.crt`);
      const broken = name('tls-broken');
      const data = Object.fromEntries(['tls.crt', 'tls.key', 'ca.crt'].map((k) => [k, Buffer.from('not a pem').toString('base64')]));
      await core.createNamespacedSecret({ namespace, body: { metadata: { name: broken, namespace }, data } });
      expect(String(await ensureNatsTls(tlsOpts(broken)).catch((e: Error) => e.message))).to.include(`default/${broken}: tls.crt is not a PEM certificate`);
      expect(Object.keys((await core.readNamespacedSecret({ name: partial, namespace })).data!)).to.deep.equal(['tls.crt']);
    });

    it('warns when the certificate in the Secret has expired', async () => {
      const n = name('tls-expired');
      await ensureNatsTls({ ...tlsOpts(n), validityMs: 60_000 });
      logs.length = 0;
      await ensureNatsTls({ ...tlsOpts(n), now: () => new Date(Date.now() + 3600_000) });
      expect(logs.join('')).to.include('the NATS server certificate has expired');
    });
  });
});
