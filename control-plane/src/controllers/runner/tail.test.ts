import { expect } from 'chai';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import winston from 'winston';
import { connectNats, encodeEvent, ensureStreams, makeEvent, STREAMS } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startTail, type Tail } from './tail.js';

const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });

async function until(what: string, ok: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('stream tail (nats-server)', function () {
  this.timeout(40_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let tail: Tail | undefined;

  before(async () => {
    server = await startNatsServer();
    nc = await connectNats({ url: server.url, name: 'tail-test', reconnectTimeWaitMs: 50, maxReconnectDelayMs: 200 });
    js = jetstream(nc);
    await ensureStreams(await jetstreamManager(nc));
  });
  after(async () => {
    await tail?.stop();
    await nc?.close();
    await server?.close();
  });

  const pub = (subject: string, n: number) => js.publish(subject, encodeEvent(makeEvent('test.n', 'test', subject, { n })));

  it('starts with the last message per subject, follows new ones, resumes after a server restart without duplicates', async () => {
    await pub('mi.decisions.test.ns.a', 1);
    await pub('mi.decisions.test.ns.a', 2);
    await pub('mi.decisions.test.ns.b', 3);
    await pub('mi.decisions.other.ns.c', 99);
    const seen: number[] = [];
    tail = await startTail({
      js,
      stream: STREAMS.decisions,
      filter: 'mi.decisions.test.>',
      logger,
      restartDelayMs: 100,
      onEvent: async (ev) => {
        seen.push((ev.envelope.data as { n: number }).n);
      },
    });
    await tail.caughtUp;
    expect(seen).to.deep.equal([2, 3]);
    await pub('mi.decisions.test.ns.a', 4);
    await until('live message', () => seen.length === 3);
    await server.stop();
    await server.start();
    await until('publish after restart', () => !nc.isClosed());
    let published = false;
    const deadline = Date.now() + 15_000;
    while (!published && Date.now() < deadline) {
      try {
        await pub('mi.decisions.test.ns.b', 5);
        published = true;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await until('message after the restart', () => seen.includes(5));
    expect(seen).to.deep.equal([2, 3, 4, 5]);
  });

  it('a filter matching nothing stored is caught up with no event, then delivers the first one published', async () => {
    // Other subjects of the stream hold messages: being caught up must not wait for a match.
    await pub('mi.decisions.test.ns.z', 7);
    const seen: number[] = [];
    const t = await startTail({ js, stream: STREAMS.decisions, filter: 'mi.decisions.none.>', logger, onEvent: async (ev) => void seen.push((ev.envelope.data as { n: number }).n) });
    try {
      const caught = await Promise.race([t.caughtUp.then(() => 'caught up'), new Promise((r) => setTimeout(() => r('still waiting'), 10_000))]);
      expect(caught).to.equal('caught up');
      expect(seen).to.deep.equal([]);
      await pub('mi.decisions.none.ns.a', 8);
      await until('the first matching event', () => seen.length > 0);
      expect(seen).to.deep.equal([8]);
    } finally {
      await t.stop();
    }
  });
});
