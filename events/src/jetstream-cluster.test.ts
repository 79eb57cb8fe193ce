// MatrixInfer's streams and buckets on a real 3-server JetStream cluster (what the Kubernetes
// nats-cluster overlay runs): replicas raised to 3 and never lowered by a later ensure, and the
// stream leader's server stopped under writes: the writes go on once a new leader is elected
// (the time is printed), nothing acknowledged is lost, and the stopped server catches up.
import { expect } from 'chai';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from './connect.js';
import { BUCKETS, STREAMS } from './names.js';
import { checkReplicas, ensureBuckets, ensureStreams } from './setup.js';
import { startNatsCluster, type TestNatsCluster } from './testing/index.js';

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`${what}: not in ${ms} ms (${String((last as Error)?.message ?? last)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('JetStream cluster: replicated streams and buckets, leader failover (3 real nats-servers)', function () {
  this.timeout(120_000);
  let cluster: TestNatsCluster;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  before(async function () {
    this.timeout(60_000);
    cluster = await startNatsCluster(3);
    nc = await connectNats({ url: cluster.url, name: 'cluster-test' });
    // A meta leader is elected a moment after the routes are up.
    jsm = await until('JetStream available', async () => {
      const m = await jetstreamManager(nc);
      await m.getAccountInfo();
      return m;
    });
  });
  after(async () => {
    await nc?.close().catch(() => undefined);
    await cluster?.close();
  });

  it('refuses a replica count JetStream cannot keep a quorum with', () => {
    expect(checkReplicas(undefined)).to.equal(1);
    for (const n of [3, 5]) expect(checkReplicas(n)).to.equal(n);
    for (const n of [0, 2, 4, 7, 1.5]) expect(() => checkReplicas(n), String(n)).to.throw(/must be 1, 3 or 5/);
  });

  it('creates every stream and bucket with 3 replicas; a later ensure asking for 1 keeps 3', async () => {
    await until('streams created', async () => (await ensureStreams(jsm, { replicas: 3 }), true));
    await ensureBuckets(jetstream(nc), jsm, { replicas: 3 });
    const names = [...Object.values(STREAMS), ...[BUCKETS.routes, BUCKETS.status, BUCKETS.config].map((b) => `KV_${b}`)];
    for (const name of names) {
      const info = await until(`${name} on 3 servers`, async () => {
        const i = await jsm.streams.info(name);
        return (i.cluster?.replicas?.length ?? 0) === 2 ? i : undefined;
      });
      expect(info.config.num_replicas, name).to.equal(3);
    }
    // Another component started without the setting (the `mi` CLI, an older controller).
    const again = await ensureStreams(jsm);
    expect(Object.values(again)).to.deep.equal(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
    await ensureBuckets(jetstream(nc), jsm);
    for (const name of names) expect((await jsm.streams.info(name)).config.num_replicas, name).to.equal(3);
  });

  it('raises an existing single-replica stream to 3', async () => {
    const name = 'MI_TEST_RAISE';
    await ensureStreams(jsm, { overrides: { desired: { name, subjects: ['test.raise.>'] }, observed: { name: 'MI_TEST_RAISE_O', subjects: ['test.raise-o.>'] }, decisions: { name: 'MI_TEST_RAISE_D', subjects: ['test.raise-d.>'] }, metrics: { name: 'MI_TEST_RAISE_M', subjects: ['test.raise-m.>'] } } });
    expect((await jsm.streams.info(name)).config.num_replicas).to.equal(1);
    const raised = await ensureStreams(jsm, { replicas: 3, overrides: { desired: { name, subjects: ['test.raise.>'] }, observed: { name: 'MI_TEST_RAISE_O', subjects: ['test.raise-o.>'] }, decisions: { name: 'MI_TEST_RAISE_D', subjects: ['test.raise-d.>'] }, metrics: { name: 'MI_TEST_RAISE_M', subjects: ['test.raise-m.>'] } } });
    expect(raised[name]).to.equal('updated');
    expect((await jsm.streams.info(name)).config.num_replicas).to.equal(3);
  });

  it('loses no acknowledged write when the leader of MI_DESIRED is stopped, and the stopped server catches up', async () => {
    const js = jetstream(nc);
    const acked: number[] = [];
    for (let i = 0; i < 30; i++) acked.push((await js.publish(`mi.desired.model.default.m${i}`, JSON.stringify({ i }))).seq);
    const leader = (await jsm.streams.info(STREAMS.desired)).cluster?.leader;
    const idx = cluster.servers.findIndex((_, i) => `n${i}` === leader);
    expect(idx, `leader ${leader}`).to.be.at.least(0);
    const stoppedAt = Date.now();
    await cluster.servers[idx]!.stop();
    // Writes go on against the other two once they have elected a new leader.
    const first = await until('a write after the leader stopped', async () => (await js.publish('mi.desired.model.default.after', '{}', { timeout: 2000 })).seq);
    const failoverMs = Date.now() - stoppedAt;
    acked.push(first);
    for (let i = 0; i < 20; i++) acked.push((await js.publish(`mi.desired.model.default.n${i}`, JSON.stringify({ i }))).seq);
    const kv = await new Kvm(js).open(BUCKETS.routes);
    await until('a KV write after the leader stopped', async () => (await kv.put('default.m', 'after-failover')) > 0);
    const info = await jsm.streams.info(STREAMS.desired);
    expect(info.cluster?.leader).to.not.equal(leader);
    expect(info.state.messages).to.equal(acked.length);
    expect(new Set(acked).size).to.equal(acked.length);
    expect(info.state.last_seq).to.equal(Math.max(...acked));
    // Back again on the same store: it rejoins as a replica and catches up.
    await cluster.servers[idx]!.start();
    await until('the restarted server current again', async () => {
      const i = await jsm.streams.info(STREAMS.desired);
      const r = i.cluster?.replicas?.find((p) => p.name === leader);
      return r?.current === true && (r.lag ?? 0) === 0 ? true : undefined;
    }, 60_000);
    process.stdout.write(`      [jetstream cluster] writes=${acked.length} leaderStoppedToFirstWriteMs=${failoverMs}\n`);
  });
});
