import { expect } from 'chai';
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
});
