import { expect } from 'chai';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from './testing/index.js';
import { connectNats } from './connect.js';
import { ensureStream, ensureStreams } from './setup.js';
import { createResourceStore } from './resources.js';
import { foldResources, liveResources, replay, type ReplayedEvent } from './replay.js';
import { encodeEvent, makeEvent } from './envelope.js';
import { InvalidEventError } from './errors.js';
import type { ResourceInput } from './resource-meta.js';

const collect = (acc: number[], ev: ReplayedEvent): number[] => [...acc, ev.seq];

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('replay (on a real nats-server)', () => {
  let server: TestNatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const spec = (name: string, subject: string) => ({ name, subjects: [subject], maxAgeMs: 0, maxBytes: -1, maxMsgsPerSubject: -1, duplicateWindowMs: 60_000, storage: 'memory' as const, replicas: 1 });

  before(async () => {
    server = await startNatsServer();
    nc = await connectNats({ url: server.url, name: 'replay-test' });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    await ensureStream(jsm, spec('T_EMPTY', 't.empty.>'));
    await ensureStream(jsm, spec('T_SEQ', 't.seq.>'));
    for (let i = 1; i <= 10; i++) {
      const subject = `t.seq.${i % 2 === 0 ? 'even' : 'odd'}`;
      await js.publish(subject, encodeEvent(makeEvent('test', 'replay-test', subject, { i })));
    }
  });
  after(async () => {
    await nc?.close();
    await server?.close();
  });

  it('terminates on an empty stream and on a filter that matches nothing', async () => {
    const empty = await replay({ js, stream: 'T_EMPTY', fold: collect, initial: [] as number[] });
    expect(empty).to.deep.equal({ state: [], lastSeq: 0, count: 0 });
    const none = await replay({ js, stream: 'T_SEQ', filter: 't.seq.nothing', fold: collect, initial: [] as number[] });
    expect(none.count).to.equal(0);
  });

  const cases: { name: string; filter?: string; from?: { seq: number }; until?: { seq: number }; want: number[] }[] = [
    { name: 'everything', want: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
    { name: 'from a sequence', from: { seq: 8 }, want: [8, 9, 10] },
    { name: 'up to a sequence (inclusive)', until: { seq: 3 }, want: [1, 2, 3] },
    { name: 'a window with a filter', filter: 't.seq.even', from: { seq: 3 }, until: { seq: 8 }, want: [4, 6, 8] },
    { name: 'from past the end', from: { seq: 99 }, want: [] },
  ];
  for (const tc of cases) {
    it(`folds in order: ${tc.name}`, async () => {
      const r = await replay({ js, stream: 'T_SEQ', fold: collect, initial: [] as number[], ...tc });
      expect(r.state).to.deep.equal(tc.want);
      expect(r.count).to.equal(tc.want.length);
      expect(r.lastSeq).to.equal(tc.want.at(-1) ?? 0);
    });
  }

  it("folds only the newest message per subject with from 'last-per-subject' (with and without a filter)", async () => {
    expect((await replay({ js, stream: 'T_SEQ', from: 'last-per-subject', fold: collect, initial: [] as number[] })).state).to.deep.equal([9, 10]);
    expect((await replay({ js, stream: 'T_SEQ', filter: 't.seq.odd', from: 'last-per-subject', fold: collect, initial: [] as number[] })).state).to.deep.equal([9]);
    const err = await replay({ js, stream: 'T_SEQ', from: 'last-per-subject', until: { seq: 3 }, fold: collect, initial: [] as number[] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TypeError);
  });

  it('hands the envelope and stored time to the fold and starts from a time', async () => {
    const all = await replay({ js, stream: 'T_SEQ', fold: (acc: ReplayedEvent<{ i: number }>[], ev: ReplayedEvent<{ i: number }>) => [...acc, ev], initial: [] });
    expect(all.state.map((e) => e.envelope.data.i)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(all.state[5].storedMs).to.be.within(Date.now() - 60_000, Date.now());
    await ensureStream(jsm, spec('T_TIME', 't.time.>'));
    for (let i = 0; i < 3; i++) await js.publish('t.time.x', encodeEvent(makeEvent('test', 's', 't.time.x', i)));
    const before = Date.now();
    await until(() => Date.now() > before + 1, 1000);
    const T = Date.now();
    for (let i = 3; i < 6; i++) await js.publish('t.time.x', encodeEvent(makeEvent('test', 's', 't.time.x', i)));
    const fromT = await replay({ js, stream: 'T_TIME', from: { time: new Date(T) }, fold: collect, initial: [] as number[] });
    expect(fromT.state).to.deep.equal([4, 5, 6]);
    const untilT = await replay({ js, stream: 'T_TIME', until: { time: new Date(T).toISOString() }, fold: collect, initial: [] as number[] });
    expect(untilT.state).to.deep.equal([1, 2, 3]);
  });

  it('throws InvalidEventError on a non-envelope message, or skips it when asked', async () => {
    await ensureStream(jsm, spec('T_BAD', 't.bad.>'));
    await js.publish('t.bad.x', new TextEncoder().encode('not json'));
    await js.publish('t.bad.x', encodeEvent(makeEvent('test', 's', 't.bad.x', 1)));
    const err = await replay({ js, stream: 'T_BAD', fold: collect, initial: [] as number[] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(InvalidEventError);
    expect((err as Error).message).to.contain('seq 1');
    const skipped = await replay({ js, stream: 'T_BAD', fold: collect, initial: [] as number[], skipInvalid: true });
    expect(skipped.state).to.deep.equal([2]);
  });

  it('a replay of the resource log up to time T equals the state that was live at T', async () => {
    const store = createResourceStore({ js, jsm });
    const m = (name: string, spec: unknown): ResourceInput => ({ apiVersion: 'registry.matrixinfer.ai/v1alpha1', kind: 'Model', metadata: { name, namespace: 'ns' }, spec });
    await store.apply(m('a', { v: 1 }));
    await store.apply(m('b', { v: 1 }));
    await store.apply(m('a', { v: 2 }));
    await store.apply(m('c', { v: 1 }));
    await store.delete('Model', 'ns', 'c');
    // T must lie strictly after the last stored write: wait for the clock to move past it.
    const lastWrite = Date.now();
    await until(() => Date.now() > lastWrite + 1, 1000);
    const T = Date.now();
    const liveAtT = await store.list();
    await until(() => Date.now() > T, 1000);
    await store.apply(m('a', { v: 3 }));
    await store.delete('Model', 'ns', 'b');
    await store.apply(m('d', { v: 1 }));
    await store.apply(m('c', { v: 9 }));

    const atT = await foldResources({ js, until: { time: T } });
    expect(liveResources(atT.state)).to.deep.equal(liveAtT);
    expect(atT.state.get('Model/ns/c')).to.equal(null);
    const now = await foldResources({ js });
    expect(liveResources(now.state)).to.deep.equal(await store.list());
    expect(liveResources(now.state)).to.not.deep.equal(liveAtT);
  });
});
