import { expect } from 'chai';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from './testing/index.js';
import { connectNats } from './connect.js';
import { ensureStream } from './setup.js';
import { consumeDurable, publishEvent, tailEvents, type DeliveredEvent, type EventSubscription } from './consume.js';
import { makeEvent } from './envelope.js';
import { ConflictError, StreamSetupError } from './errors.js';
import type { ReplayedEvent } from './replay.js';

async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('consume (on a real nats-server)', () => {
  let server: TestNatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const subs: EventSubscription[] = [];
  const spec = (name: string, subject: string) => ({ name, subjects: [subject], maxAgeMs: 0, maxBytes: -1, maxMsgsPerSubject: -1, duplicateWindowMs: 60_000, storage: 'memory' as const, replicas: 1 });
  const ev = (subject: string, n: number, id?: string) => makeEvent('test.n', 'consume-test', subject, { n }, id === undefined ? {} : { id });

  before(async () => {
    server = await startNatsServer();
    nc = await connectNats({ url: server.url, name: 'consume-test' });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
  });
  afterEach(async () => {
    await Promise.all(subs.splice(0).map((s) => s.stop()));
  });
  after(async () => {
    await nc?.close();
    await server?.close();
  });

  it('publishEvent dedups on the envelope id and enforces an expected subject sequence', async () => {
    await ensureStream(jsm, spec('T_PUB', 't.pub.>'));
    const e = ev('t.pub.a', 1, 'fixed-id');
    const a = await publishEvent(js, 't.pub.a', e);
    const b = await publishEvent(js, 't.pub.a', e);
    expect(b.duplicate).to.equal(true);
    expect((await jsm.streams.info('T_PUB')).state.messages).to.equal(1);
    await publishEvent(js, 't.pub.a', ev('t.pub.a', 2), { expectedLastSubjectSequence: a.seq });
    const err = await publishEvent(js, 't.pub.a', ev('t.pub.a', 3), { expectedLastSubjectSequence: a.seq }).catch((x: unknown) => x);
    expect(err).to.be.instanceOf(ConflictError);
    expect((err as ConflictError).actual).to.equal(a.seq + 1);
  });

  it('consumeDurable acks after success, redelivers after a failure, terminates garbage, and resumes', async () => {
    await ensureStream(jsm, spec('T_DUR', 't.dur.>'));
    for (let n = 1; n <= 5; n++) await publishEvent(js, 't.dur.x', ev('t.dur.x', n));
    await js.publish('t.dur.x', new TextEncoder().encode('garbage'));
    const seen: { n: number; delivery: number }[] = [];
    let failedOnce = false;
    const handler = (e: DeliveredEvent<{ n: number }>) => {
      seen.push({ n: e.envelope.data.n, delivery: e.deliveryCount });
      if (e.envelope.data.n === 3 && !failedOnce) {
        failedOnce = true;
        throw new Error('transient');
      }
    };
    const sub = await consumeDurable({ js, stream: 'T_DUR', durable: 'worker', filter: 't.dur.>', handler, retryDelayMs: 20 });
    subs.push(sub);
    const settled = async () => {
      const i = await jsm.consumers.info('T_DUR', 'worker');
      return i.num_pending === 0 && i.num_ack_pending === 0;
    };
    await until(settled);
    expect(seen.filter((s) => s.n === 3).map((s) => s.delivery)).to.deep.equal([1, 2]);
    expect(new Set(seen.map((s) => s.n))).to.deep.equal(new Set([1, 2, 3, 4, 5]));
    await sub.stop();
    subs.pop();

    // A restarted worker gets only what it has not acked yet.
    seen.length = 0;
    await publishEvent(js, 't.dur.x', ev('t.dur.x', 6));
    subs.push(await consumeDurable({ js, stream: 'T_DUR', durable: 'worker', filter: 't.dur.>', handler, retryDelayMs: 20 }));
    await until(() => seen.length === 1);
    await until(settled);
    expect(seen).to.deep.equal([{ n: 6, delivery: 1 }]);
  });

  it('refuses to reuse a durable with a different filter', async () => {
    await ensureStream(jsm, spec('T_FLT', 't.flt.>'));
    subs.push(await consumeDurable({ js, stream: 'T_FLT', durable: 'w', filter: 't.flt.a', handler: () => undefined }));
    const err = await consumeDurable({ js, stream: 'T_FLT', durable: 'w', filter: 't.flt.b', handler: () => undefined }).catch((x: unknown) => x);
    expect(err).to.be.instanceOf(StreamSetupError);
    expect((err as Error).message).to.contain('nats consumer rm T_FLT w');
  });

  it('tailEvents from last-per-subject gives the current value of each subject, then live events, in order', async () => {
    await ensureStream(jsm, spec('T_TAIL', 't.tail.>'));
    await publishEvent(js, 't.tail.a', ev('t.tail.a', 1));
    await publishEvent(js, 't.tail.a', ev('t.tail.a', 2));
    await publishEvent(js, 't.tail.b', ev('t.tail.b', 10));
    const got: number[] = [];
    const fresh: number[] = [];
    subs.push(await tailEvents({ js, stream: 'T_TAIL', filter: 't.tail.>', from: 'last-per-subject', handler: (e: ReplayedEvent<{ n: number }>) => void got.push(e.envelope.data.n) }));
    subs.push(await tailEvents({ js, stream: 'T_TAIL', handler: (e: ReplayedEvent<{ n: number }>) => void fresh.push(e.envelope.data.n) }));
    const unfiltered: number[] = [];
    subs.push(await tailEvents({ js, stream: 'T_TAIL', from: 'last-per-subject', handler: (e: ReplayedEvent<{ n: number }>) => void unfiltered.push(e.envelope.data.n) }));
    await until(() => got.length === 2 && unfiltered.length === 2);
    await publishEvent(js, 't.tail.b', ev('t.tail.b', 11));
    await publishEvent(js, 't.tail.a', ev('t.tail.a', 3));
    await until(() => got.length === 4 && fresh.length === 2);
    expect(got).to.deep.equal([2, 10, 11, 3]);
    expect(fresh).to.deep.equal([11, 3]);
    await until(() => unfiltered.length === 4);
    expect(unfiltered).to.deep.equal([2, 10, 11, 3]);
  });
});
