// A burst of requests through one replica reaches its peers' load view at once, not at the next
// periodic in-flight message (here a minute away), so peers do not place the rest of the burst
// on a stale view.
import { expect } from 'chai';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startGateway, type GatewayHandle } from './gateway.js';
import { DEFAULT_BURST_RULE } from './peer-sync.js';
import { modelEntry, putRoute, routesBucket, server, startFakeUpstream, waitFor, type FakeUpstream } from './testing.js';

describe('gateway peers: in-flight counts published early during a burst', function () {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let up: FakeUpstream;
  let a: GatewayHandle;
  let b: GatewayHandle;

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    up = await startFakeUpstream('e0', { delayMs: 60_000 });
    await putRoute(await routesBucket(nc), modelEntry('m', [server('srv', [up])]));
    const common = { port: 0, natsUrl: nats.url, logLevel: 'off' as const, decisionSampleRate: 0, inflightPeriodMs: 60_000 };
    a = await startGateway({ ...common, name: 'gw-a' });
    b = await startGateway({ ...common, name: 'gw-b' });
    await Promise.all([a.ready, b.ready]);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await up?.close();
    await nc?.close();
    await nats?.close();
  });

  it(`${DEFAULT_BURST_RULE.requests} requests held open via A show in B's view without waiting for A's periodic message`, async () => {
    const ac = new AbortController();
    const n = DEFAULT_BURST_RULE.requests;
    const pending = Array.from({ length: n }, (_, i) =>
      fetch(`${a.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', prompt: `p${i}` }), signal: ac.signal }).catch(() => null),
    );
    try {
      await waitFor('the engine to hold the burst', () => up.running === n);
      await waitFor(`gw-b to see ${n} of gw-a's requests`, async () => {
        const eps = ((await (await fetch(`${b.url}/debug/endpoints`)).json()) as { endpoints: Record<string, { peerInFlight: number }> }).endpoints;
        return eps.e0?.peerInFlight === n;
      });
      expect(up.running).to.equal(n);
    } finally {
      ac.abort();
      await Promise.all(pending);
    }
  });
});
