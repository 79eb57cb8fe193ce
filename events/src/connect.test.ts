import { expect } from 'chai';
import { createServer, type AddressInfo } from 'node:net';
import winston from 'winston';
import { Writable } from 'node:stream';
import { startNatsServer, type TestNatsServer } from './testing/index.js';
import { buildConnectionOptions, connectNats, DEFAULT_NATS_URL, reconnectDelayMs, resolveNatsUrl, unavailableMessage } from './connect.js';
import { ERROR_CODES, NatsUnavailableError } from './errors.js';

/** A port nobody listens on: bound then released. */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Captures winston JSON lines in memory. */
function memoryLogger(): { logger: winston.Logger; lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, next) {
      lines.push(JSON.parse(chunk.toString()) as { level: string; message: string });
      next();
    },
  });
  const logger = winston.createLogger({ level: 'debug', format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
  return { logger, lines };
}

async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('connect', () => {
  it('resolves the URL from the option, then NATS_URL, then the default', () => {
    expect(resolveNatsUrl('nats://a:1', { NATS_URL: 'nats://b:2' })).to.equal('nats://a:1');
    expect(resolveNatsUrl(undefined, { NATS_URL: 'nats://b:2' })).to.equal('nats://b:2');
    expect(resolveNatsUrl(undefined, {})).to.equal(DEFAULT_NATS_URL);
    expect(resolveNatsUrl(undefined, { NATS_URL: '  ' })).to.equal(DEFAULT_NATS_URL);
  });

  it('reconnects forever with capped exponential backoff plus jitter', () => {
    const { options } = buildConnectionOptions({ name: 't', env: {}, reconnectTimeWaitMs: 100, maxReconnectDelayMs: 1000, reconnectJitterMs: 50, rng: () => 0.5 });
    expect(options.maxReconnectAttempts).to.equal(-1);
    expect(options.waitOnFirstConnect).to.equal(false);
    const delays = [0, 1, 2, 3, 4, 5].map(() => options.reconnectDelayHandler!());
    expect(delays).to.deep.equal([125, 225, 425, 825, 1025, 1025]);
    expect(reconnectDelayMs(100, 100, 1000, 0, () => 0)).to.equal(1000);
  });

  it('passes credentials and TLS options through', () => {
    const { options } = buildConnectionOptions({ name: 't', env: {}, user: 'u', pass: 'p', tls: { caFile: '/ca.pem' } });
    expect(options.user).to.equal('u');
    expect(options.pass).to.equal('p');
    expect(options.tls).to.deep.equal({ caFile: '/ca.pem' });
    expect(buildConnectionOptions({ name: 't', env: {}, token: 's3cret' }).options.token).to.equal('s3cret');
  });

  it('names the fix for refused credentials and for an untrusted certificate (#18)', () => {
    expect(unavailableMessage('nats://h:1', new Error('Authorization Violation'))).to.match(/refused the credentials.*MI_DATA_DIR.*MI_NATS_USER/);
    expect(unavailableMessage('nats://h:1', new Error('self-signed certificate in certificate chain'))).to.match(/TLS with NATS at nats:\/\/h:1 failed.*MI_NATS_CA/);
    expect(unavailableMessage('nats://h:1', new Error('ECONNREFUSED'))).to.match(/cannot connect.*NATS_URL/);
  });

  it('takes credentials from MI_NATS_AUTH_FILE / MI_NATS_USER when no option gives them', () => {
    const { options } = buildConnectionOptions({ name: 't', env: { MI_NATS_USER: 'u', MI_NATS_PASSWORD: 'p', MI_NATS_INBOX_PREFIX: '_INBOX_u', MI_NATS_CA: '/ca.pem' } });
    expect(options).to.deep.include({ user: 'u', pass: 'p', inboxPrefix: '_INBOX_u', tls: { caFile: '/ca.pem' } });
    const explicit = buildConnectionOptions({ name: 't', env: { MI_NATS_USER: 'u' }, user: 'x', pass: 'y' }).options;
    expect(explicit).to.deep.include({ user: 'x', pass: 'y' });
  });

  it('a dead URL fails fast with NatsUnavailableError naming the URL and the fix', async () => {
    const url = `nats://127.0.0.1:${await deadPort()}`;
    const started = Date.now();
    const err = await connectNats({ url, name: 'dead' }).catch((e: unknown) => e);
    expect(Date.now() - started).to.be.lessThan(3000);
    expect(err).to.be.instanceOf(NatsUnavailableError);
    expect((err as NatsUnavailableError).code).to.equal(ERROR_CODES.natsUnavailable);
    expect((err as NatsUnavailableError).url).to.equal(url);
    expect((err as Error).message).to.contain(url).and.to.contain('nats-server').and.to.contain('NATS_URL');
  });

  it('firstConnectWaitMs: retries a server that is not up yet until its deadline, then fails naming the URL', async () => {
    const url = `nats://127.0.0.1:${await deadPort()}`;
    const mem = memoryLogger();
    // A clock that moves 100 ms per read: the deadline passes after a few attempts, whatever the machine.
    let t = 0;
    const err = await connectNats({ url, name: 'wait', logger: mem.logger, firstConnectWaitMs: 350, now: () => (t += 100), reconnectTimeWaitMs: 1, maxReconnectDelayMs: 1, reconnectJitterMs: 0 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(NatsUnavailableError);
    const waits = mem.lines.filter((l) => l.message === 'NATS not reachable yet; waiting for it');
    expect(waits.length).to.be.within(1, 3);
  });

  it('firstConnectWaitMs: connects once the server comes up within the wait', async () => {
    const port = await deadPort();
    const mem = memoryLogger();
    const pending = connectNats({ url: `nats://127.0.0.1:${port}`, name: 'late', logger: mem.logger, firstConnectWaitMs: 30_000, reconnectTimeWaitMs: 20, maxReconnectDelayMs: 100, reconnectJitterMs: 0 });
    await until(() => mem.lines.some((l) => l.message === 'NATS not reachable yet; waiting for it'), 10_000);
    const late = await startNatsServer({ port });
    try {
      const nc = await pending;
      await nc.flush();
      await nc.close();
    } finally {
      await late.close();
    }
  });

  it('firstConnectWaitMs never retries refused credentials', async () => {
    const secured = await startNatsServer({ config: 'authorization { users = [ { user: "u", password: "right" } ] }\n' });
    try {
      const mem = memoryLogger();
      const err = await connectNats({ url: secured.url, name: 'wrong', logger: mem.logger, firstConnectWaitMs: 60_000, auth: { user: 'u', password: 'wrong' } }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(NatsUnavailableError);
      expect((err as Error).message).to.match(/refused the credentials/);
      expect(mem.lines.filter((l) => l.message.startsWith('NATS not reachable'))).to.deep.equal([]);
    } finally {
      await secured.close();
    }
  });

  describe('against a real server', () => {
    let server: TestNatsServer;
    before(async () => {
      server = await startNatsServer();
    });
    after(async () => {
      await server?.close();
    });

    it('logs disconnect and reconnect and works again after the server comes back', async () => {
      const mem = memoryLogger();
      const logger = mem.logger;
      const nc = await connectNats({ url: server.url, name: 'reconnect-test', logger, reconnectTimeWaitMs: 50, maxReconnectDelayMs: 200, reconnectJitterMs: 10 });
      try {
        await server.stop();
        await until(() => mem.lines.some((l) => l.message.startsWith('disconnected')), 5000);
        await server.start();
        await until(() => mem.lines.some((l) => l.message === 'reconnected to NATS'), 10_000);
        await nc.flush();
        expect(nc.isClosed()).to.equal(false);
      } finally {
        await nc.close();
      }
    });
  });
});
