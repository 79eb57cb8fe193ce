import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { CoreV1Api } from '@kubernetes/client-node';
import winston from 'winston';
import { testCluster, type TestCluster } from '../testing/apiserver/cluster.js';
import { K8S_NATS_USERS } from '../install/nats-users.js';
import { ensureNatsCredentials, NatsCredentialsSecretError } from './nats-credentials.js';

describe('NATS credentials Secret (test API server, or KUBECONFIG)', function () {
  this.timeout(30_000);
  let cluster: TestCluster;
  let core: CoreV1Api;
  const made: string[] = [];
  const logs: string[] = [];
  const logger = winston.createLogger({ transports: [new winston.transports.Stream({ stream: new Writable({ write: (chunk: Buffer, _enc, done) => (logs.push(chunk.toString()), done()) }) })] });
  const namespace = 'default';
  const opts = (secretName: string) => ({ kubeConfig: cluster.kubeConfig, namespace, secretName, randomBytes, logger });
  // A name per test: the suite may run against a real cluster.
  const name = (tag: string) => {
    const n = `mi-nats-creds-${tag}-${randomBytes(3).toString('hex')}`;
    made.push(n);
    return n;
  };

  before(async () => {
    cluster = await testCluster();
    core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  });
  after(async () => {
    for (const n of made) await core.deleteNamespacedSecret({ name: n, namespace }).catch(() => undefined);
    await cluster?.stop();
  });

  it('makes the Secret with a distinct random password per user, and reads the same one back', async () => {
    const n = name('new');
    const first = await ensureNatsCredentials(opts(n));
    expect(Object.keys(first).sort()).to.deep.equal(K8S_NATS_USERS.map((u) => u.secretKey).sort());
    expect(new Set(Object.values(first)).size).to.equal(K8S_NATS_USERS.length);
    for (const p of Object.values(first)) expect(p).to.match(/^[A-Za-z0-9_-]{32}$/);
    const stored = await core.readNamespacedSecret({ name: n, namespace });
    expect(Buffer.from(stored.data!['control-plane']!, 'base64').toString()).to.equal(first['control-plane']);
    expect(await ensureNatsCredentials(opts(n))).to.deep.equal(first);
    // The log names the keys, never a value.
    const text = logs.join('');
    expect(text).to.include('NATS credentials Secret created');
    for (const p of Object.values(first)) expect(text).to.not.include(p);
  });

  it('two replicas starting together end with the same passwords (one create wins, the other reads it)', async () => {
    const n = name('race');
    const [a, b, c] = await Promise.all([ensureNatsCredentials(opts(n)), ensureNatsCredentials(opts(n)), ensureNatsCredentials(opts(n))]);
    expect(b).to.deep.equal(a);
    expect(c).to.deep.equal(a);
  });

  it('uses a Secret made by the user as it is, and names the missing key of an incomplete one without touching it', async () => {
    const n = name('user');
    const data = Object.fromEntries(K8S_NATS_USERS.map((u) => [u.secretKey, Buffer.from(`pw-${u.secretKey}`).toString('base64')]));
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: n, namespace }, data } });
    expect((await ensureNatsCredentials(opts(n)))['gateway']).to.equal('pw-gateway');

    const partial = name('partial');
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: partial, namespace }, data: { admin: data.admin! } } });
    const err = await ensureNatsCredentials(opts(partial)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(NatsCredentialsSecretError);
    expect((err as NatsCredentialsSecretError).code).to.equal('MI_ERR_NATS_CREDENTIALS');
    expect((err as Error).message).to.include(`default/${partial} has no control-plane, gateway keys`);
    expect(Object.keys((await core.readNamespacedSecret({ name: partial, namespace })).data!)).to.deep.equal(['admin']);
  });

  it('names the Secret when the namespace does not exist', async () => {
    const err = await ensureNatsCredentials({ ...opts('mi-nats-credentials'), namespace: `no-such-ns-${randomBytes(3).toString('hex')}` }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(NatsCredentialsSecretError);
    expect((err as Error).message).to.match(/cannot create Secret no-such-ns-[0-9a-f]+\/mi-nats-credentials/);
  });
});
