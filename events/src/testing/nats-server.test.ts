import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from './nats-server.js';

describe('testing/startNatsServer', () => {
  let server: TestNatsServer;
  before(async () => {
    server = await startNatsServer();
  });
  after(async () => {
    await server?.close();
  });

  it('serves JetStream on a random loopback port and restarts on the same one', async () => {
    expect(server.port).to.be.greaterThan(0);
    let nc = await connect({ servers: server.url });
    const info = nc.info;
    expect(info?.jetstream).to.equal(true);
    await nc.close();
    const port = server.port;
    await server.stop();
    await server.start();
    expect(server.port).to.equal(port);
    nc = await connect({ servers: server.url });
    await nc.close();
  });

  it('takes a store dir it leaves in place and a max_file_store the server enforces', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mi-nats-given-'));
    const limited = await startNatsServer({ storeDir: dir, maxFileStoreBytes: 8 * 1024 * 1024 });
    try {
      expect(limited.storeDir).to.equal(dir);
      const nc = await connect({ servers: limited.url });
      const jsm = await jetstreamManager(nc);
      // A stream reserving more than the limit is refused at creation.
      let refused = '';
      await jsm.streams.add({ name: 'BIG', subjects: ['big'], max_bytes: 64 * 1024 * 1024 }).catch((err: Error) => (refused = err.message));
      expect(refused).to.match(/insufficient storage/);
      await nc.close();
    } finally {
      await limited.close();
    }
    expect(existsSync(dir), 'the caller\'s store dir is kept').to.equal(true);
    rmSync(dir, { recursive: true, force: true });
  });
});
