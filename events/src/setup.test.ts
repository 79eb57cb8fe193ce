import { expect } from 'chai';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from './testing/index.js';
import { connectNats } from './connect.js';
import { ensureBuckets, ensureStream, ensureStreams, openKv } from './setup.js';
import { BUCKETS, STREAMS } from './names.js';
import { NotFoundError, StreamSetupError } from './errors.js';

describe('setup (streams and buckets on a real nats-server)', () => {
  let server: TestNatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;

  before(async () => {
    server = await startNatsServer();
    nc = await connectNats({ url: server.url, name: 'setup-test' });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    await nc?.close();
    await server?.close();
  });

  it('creates the four streams with their limits, and a second run changes nothing', async () => {
    const first = await ensureStreams(jsm);
    expect(first).to.deep.equal({ MI_DESIRED: 'created', MI_OBSERVED: 'created', MI_DECISIONS: 'created', MI_METRICS: 'created' });
    const second = await ensureStreams(jsm);
    expect(Object.values(second)).to.deep.equal(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
    const desired = (await jsm.streams.info(STREAMS.desired)).config;
    expect(desired.subjects).to.deep.equal(['mi.desired.>']);
    expect(desired.max_msgs_per_subject).to.equal(100);
    expect(desired.duplicate_window).to.equal(nanos(120_000));
    expect(desired.storage).to.equal('file');
    const metrics = (await jsm.streams.info(STREAMS.metrics)).config;
    expect(metrics.max_age).to.equal(nanos(3_600_000));
    expect(metrics.max_bytes).to.equal(256 * 1024 * 1024);
    expect((await jsm.streams.info(STREAMS.observed)).config.max_age).to.equal(nanos(7 * 24 * 3_600_000));
  });

  it('updates drifted limits in place and keeps the data', async () => {
    await js.publish('mi.decisions.test.default.x', new TextEncoder().encode('{}'));
    const res = await ensureStreams(jsm, { overrides: { decisions: { maxAgeMs: 3_600_000 } } });
    expect(res.MI_DECISIONS).to.equal('updated');
    expect(res.MI_DESIRED).to.equal('unchanged');
    const info = await jsm.streams.info(STREAMS.decisions);
    expect(info.config.max_age).to.equal(nanos(3_600_000));
    expect(info.state.messages).to.equal(1);
  });

  it('refuses to change storage in place with a typed error', async () => {
    const spec = { name: 'T_MEM', subjects: ['t.mem.>'], maxAgeMs: 0, maxBytes: -1, maxMsgsPerSubject: -1, duplicateWindowMs: 60_000, storage: 'memory' as const, replicas: 1 };
    expect(await ensureStream(jsm, spec)).to.equal('created');
    const err = await ensureStream(jsm, { ...spec, storage: 'file' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(StreamSetupError);
    expect((err as InstanceType<typeof StreamSetupError>).code).to.equal('MI_ERR_STREAM_SETUP');
  });

  it('creates the KV buckets with history 5, idempotently, and they open', async () => {
    expect(await ensureBuckets(js, jsm)).to.deep.equal({ 'mi-routes': 'created', 'mi-status': 'created', 'mi-config': 'created' });
    expect(await ensureBuckets(js, jsm)).to.deep.equal({ 'mi-routes': 'unchanged', 'mi-status': 'unchanged', 'mi-config': 'unchanged' });
    const kv = await openKv(js, BUCKETS.routes);
    expect((await kv.status()).history).to.equal(5);
    await kv.put('m', 'v1');
    expect((await kv.get('m'))?.string()).to.equal('v1');
    expect((await ensureBuckets(js, jsm, { names: [BUCKETS.config], history: 10 }))['mi-config']).to.equal('updated');
    expect((await jsm.streams.info('KV_mi-config')).config.max_msgs_per_subject).to.equal(10);
    const missing = await openKv(js, 'no-such-bucket').catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(NotFoundError);
    expect((missing as Error).message).to.contain('ensureBuckets');
  });
});
