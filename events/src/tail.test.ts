import { expect } from 'chai';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from './testing/index.js';
import { connectNats } from './connect.js';
import { ensureStream } from './setup.js';
import { startResumableTail, type ResumableTail, type TailInterruption, type TailMessage } from './tail.js';

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const text = (m: TailMessage) => new TextDecoder().decode(m.data);

describe('resumable tail (on a real nats-server)', function () {
  this.timeout(60_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const tails: ResumableTail[] = [];
  const spec = (name: string, subject: string) => ({ name, subjects: [subject], maxAgeMs: 0, maxBytes: -1, maxMsgsPerSubject: -1, duplicateWindowMs: 60_000, storage: 'file' as const, replicas: 1 });
  const pub = (subject: string, body: string) => js.publish(subject, body);
  /** Publishes, retrying while the server is away (for the restart test). */
  const pubRetry = async (subject: string, body: string) => {
    for (let i = 0; ; i++) {
      try {
        return await js.publish(subject, body, { msgID: `${subject}:${body}`, timeout: 1000 });
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  before(async () => {
    server = await startNatsServer();
    nc = await connectNats({ url: server.url, name: 'tail-test', reconnectTimeWaitMs: 50, maxReconnectDelayMs: 200 });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
  });
  afterEach(async () => {
    await Promise.all(tails.splice(0).map((t) => t.stop()));
  });
  after(async () => {
    await nc?.close();
    await server?.close();
  });

  const cases: { name: string; from: Parameters<typeof startResumableTail>[0]['from']; want: string[] }[] = [
    { name: 'all', from: 'all', want: ['a1', 'a2', 'b1'] },
    { name: 'last-per-subject', from: 'last-per-subject', want: ['a2', 'b1'] },
    { name: 'a sequence', from: { seq: 3 }, want: ['a2', 'b1'] },
    { name: 'new', from: 'new', want: [] },
  ];
  for (const tc of cases) {
    it(`from ${tc.name}: the backlog, caughtUp, then live messages in order; the filter holds`, async () => {
      const stream = `T_POS_${tc.name.replace(/\W/g, '_').toUpperCase()}`;
      const root = `t.${stream.toLowerCase()}`;
      await ensureStream(jsm, spec(stream, `${root}.>`));
      await pub(`${root}.k.a`, 'a1');
      await pub(`${root}.other`, 'x');
      await pub(`${root}.k.a`, 'a2');
      await pub(`${root}.k.b`, 'b1');
      const got: string[] = [];
      const t = await startResumableTail({ js, stream, filter: `${root}.k.*`, from: tc.from, onMessage: (m) => void got.push(text(m)) });
      tails.push(t);
      await t.caughtUp;
      expect(got).to.deep.equal(tc.want);
      expect(t.pendingAtStart).to.equal(tc.want.length);
      await pub(`${root}.other`, 'y');
      await pub(`${root}.k.b`, 'b2');
      await until('the live message', () => got.includes('b2'));
      expect(got).to.deep.equal([...tc.want, 'b2']);
    });
  }

  it('from a time starts at the first message stored at or after it', async () => {
    await ensureStream(jsm, spec('T_TIME', 't.time.>'));
    await pub('t.time.a', 'old');
    await new Promise((r) => setTimeout(r, 20));
    const since = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await pub('t.time.a', 'recent');
    const got: string[] = [];
    const t = await startResumableTail({ js, stream: 'T_TIME', filter: 't.time.>', from: { time: since }, onMessage: (m) => void got.push(text(m)) });
    tails.push(t);
    await t.caughtUp;
    expect(got).to.deep.equal(['recent']);
  });

  it('an empty filter is caught up at once', async () => {
    await ensureStream(jsm, spec('T_EMPTY', 't.empty.>'));
    const t = await startResumableTail({ js, stream: 'T_EMPTY', filter: 't.empty.none', from: 'last-per-subject', onMessage: () => undefined });
    tails.push(t);
    await t.caughtUp;
    expect(t.pendingAtStart).to.equal(0);
  });

  it('messages published while the consumer is deleted and re-created are delivered once, in order', async () => {
    await ensureStream(jsm, spec('T_RECREATE', 't.recreate.>'));
    for (let n = 1; n <= 5; n++) await pub('t.recreate.x', `m${n}`);
    const got: number[] = [];
    // Short pulls: heartbeats every 0.5 s, so losing the consumer is noticed in about a second.
    const t = await startResumableTail({ js, stream: 'T_RECREATE', filter: 't.recreate.>', from: 'all', expiresMs: 1000, onMessage: (m) => void got.push(Number(text(m).slice(1))) });
    tails.push(t);
    await t.caughtUp;
    const deleted: string[] = [];
    for await (const ci of jsm.consumers.list('T_RECREATE')) deleted.push(ci.name);
    expect(deleted).to.have.length(1);
    await jsm.consumers.delete('T_RECREATE', deleted[0]);
    for (let n = 6; n <= 30; n++) await pub('t.recreate.x', `m${n}`);
    await until('all 30 messages', () => got.length >= 30);
    const names: string[] = [];
    for await (const ci of jsm.consumers.list('T_RECREATE')) names.push(ci.name);
    expect(names).to.have.length(1);
    expect(names[0]).to.not.equal(deleted[0]);
    expect(got).to.deep.equal(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(t.lastSeq()).to.equal(30);
  });

  it('a server restart loses nothing and duplicates nothing (messages before, during recovery, after)', async () => {
    await ensureStream(jsm, spec('T_RESTART', 't.restart.>'));
    for (let n = 1; n <= 3; n++) await pub('t.restart.x', String(n));
    const got: number[] = [];
    const t = await startResumableTail({ js, stream: 'T_RESTART', filter: 't.restart.>', from: 'all', expiresMs: 1000, restartDelayMs: 100, onMessage: (m) => void got.push(Number(text(m))) });
    tails.push(t);
    await t.caughtUp;
    await server.stop();
    await server.start();
    // Published as soon as the server takes them, racing the consumer's recovery.
    for (let n = 4; n <= 20; n++) await pubRetry('t.restart.x', String(n));
    await until('all 20 messages', () => got.length >= 20);
    await pub('t.restart.x', '21');
    await until('the message after recovery', () => got.length >= 21);
    expect(got).to.deep.equal(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it('a handler that throws: with onError the message is skipped; without, it comes again after a restart', async () => {
    await ensureStream(jsm, spec('T_FAIL', 't.fail.>'));
    for (let n = 1; n <= 4; n++) await pub('t.fail.x', String(n));
    const skipped: number[] = [];
    const seenA: number[] = [];
    const a = await startResumableTail({
      js,
      stream: 'T_FAIL',
      from: 'all',
      onMessage: (m) => {
        if (text(m) === '2') throw new Error('bad');
        seenA.push(Number(text(m)));
      },
      onError: (m) => void skipped.push(m.seq),
    });
    tails.push(a);
    await a.caughtUp;
    expect(seenA).to.deep.equal([1, 3, 4]);
    expect(skipped).to.deep.equal([2]);

    const seenB: number[] = [];
    const interruptions: TailInterruption[] = [];
    let failures = 0;
    const b = await startResumableTail({
      js,
      stream: 'T_FAIL',
      from: 'all',
      restartDelayMs: 50,
      onMessage: (m) => {
        if (text(m) === '3' && failures++ < 2) throw new Error('transient');
        seenB.push(Number(text(m)));
      },
      onInterrupted: (i) => void interruptions.push(i),
    });
    tails.push(b);
    await b.caughtUp;
    expect(seenB).to.deep.equal([1, 2, 3, 4]);
    expect(interruptions.map((i) => [i.afterSeq, (i.error as Error).message])).to.deep.equal([
      [2, 'transient'],
      [2, 'transient'],
    ]);
  });

  it("from 'new', a restart before anything was handled does not skip what came meanwhile", async () => {
    await ensureStream(jsm, spec('T_NEW', 't.new.>'));
    await pub('t.new.x', 'old');
    const seen: string[] = [];
    let failed = false;
    const t = await startResumableTail({
      js,
      stream: 'T_NEW',
      from: 'new',
      restartDelayMs: 200,
      onMessage: (m) => {
        if (!failed) {
          failed = true;
          throw new Error('first attempt fails');
        }
        seen.push(text(m));
      },
    });
    tails.push(t);
    await pub('t.new.x', 'n1');
    await until('the first attempt', () => failed);
    await pub('t.new.x', 'n2');
    await until('both new messages', () => seen.length >= 2);
    expect(seen).to.deep.equal(['n1', 'n2']);
  });

  it('stop() with a jsm deletes its consumer; a closed connection ends the tail', async () => {
    await ensureStream(jsm, spec('T_STOP', 't.stop.>'));
    const t = await startResumableTail({ js, jsm, stream: 'T_STOP', from: 'all', namePrefix: 'mi_test_stop', onMessage: () => undefined });
    const names = async () => {
      const out: string[] = [];
      for await (const ci of jsm.consumers.list('T_STOP')) out.push(ci.name);
      return out;
    };
    expect((await names())[0]).to.match(/^mi_test_stop/);
    await t.stop();
    expect(await names()).to.deep.equal([]);

    const nc2 = await connectNats({ url: server.url, name: 'tail-close-test' });
    const interruptions: TailInterruption[] = [];
    const t2 = await startResumableTail({ js: jetstream(nc2), stream: 'T_STOP', from: 'all', restartDelayMs: 50, onMessage: () => undefined, onInterrupted: (i) => void interruptions.push(i) });
    await nc2.close();
    await t2.done;
    expect(interruptions.length).to.be.at.most(1);
  });
});
