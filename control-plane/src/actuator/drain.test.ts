import { expect } from 'chai';
import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drainEngine } from './drain.js';

describe('actuator/drain', () => {
  let server: Server;
  let address: string;
  let busyPolls = 0;
  before(async () => {
    server = createServer((_req, res) => {
      const running = busyPolls > 0 ? 1 : 0;
      busyPolls = Math.max(0, busyPolls - 1);
      res.setHeader('content-type', 'text/plain');
      res.end(`# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{model_name="m"} ${running}\n# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting{model_name="m"} 0\n`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('waits while the engine is busy, then says idle; leaves no listener on the long-lived signal', async () => {
    busyPolls = 5;
    const shutdown = new AbortController();
    expect(await drainEngine(address, { graceMs: 1, timeoutMs: 10_000, pollMs: 1, signal: shutdown.signal })).to.equal('idle');
    expect(busyPolls).to.equal(0);
    expect(getEventListeners(shutdown.signal, 'abort')).to.have.length(0);
  });

  it('stops waiting when the signal aborts, and gives up at its timeout', async () => {
    busyPolls = 1_000_000;
    const shutdown = new AbortController();
    setTimeout(() => shutdown.abort(), 20);
    expect(await drainEngine(address, { graceMs: 1, timeoutMs: 10_000, pollMs: 5, signal: shutdown.signal })).to.equal('aborted');
    expect(await drainEngine(address, { graceMs: 1, timeoutMs: 30, pollMs: 5 })).to.equal('timeout');
  });
});
