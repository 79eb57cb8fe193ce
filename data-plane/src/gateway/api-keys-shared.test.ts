// Per-key limits across replicas: two gateways on one nats-server and one key file spend one
// budget per key (auth/key-share.ts), as the global model limits do.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { formatApiKeyFile, hashApiKey } from '@matrixinfer/schemas';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, server, startFakeUpstream, waitFor, type FakeUpstream } from './testing.js';

const KEY = 'mi-sk-shared-0123456789abcdefghijklmnopqrstuvwxyz01';
const ADMIN = 'admin-token-shared-0123456789';

describe('gateway API keys: one budget per key across replicas', function () {
  this.timeout(20_000);
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let up: FakeUpstream;
  let dir: string;
  const gws: GatewayHandle[] = [];

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    up = await startFakeUpstream('ep-shared');
    await putRoute(await routesBucket(nc), modelEntry('llama', [server('llama-srv', [up])]));
    dir = mkdtempSync(join(tmpdir(), 'mi-gw-shared-'));
    const keys = join(dir, 'keys.yaml');
    writeFileSync(keys, formatApiKeyFile({ format: 'mi.apikeys/v1', keys: [{ id: 'shared', sha256: hashApiKey(KEY), models: ['llama'], rpm: 4 }] }));
    for (const name of ['gw-s1', 'gw-s2']) gws.push(await startGateway({ port: 0, natsUrl: nats.url, name, logLevel: 'off', apiKeysFile: keys, adminToken: ADMIN, rateSharePeriodMs: 20 }));
    await Promise.all(gws.map((g) => g.ready));
    await waitFor('the route on both', () => gws.every((g) => g.table().entries.has('llama')));
  });
  after(async () => {
    for (const g of gws) await g.close();
    await up?.close();
    await nc?.close();
    await nats?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const send = async (gw: GatewayHandle): Promise<number> => {
    const res = await fetch(`${gw.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify({ model: 'llama', prompt: 'x' }) });
    await res.text();
    return res.status;
  };
  const requestsLeft = async (gw: GatewayHandle): Promise<number | undefined> => {
    const r = (await (await fetch(`${gw.url}/debug/ratelimits`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { apiKeys: { limits: Record<string, { requests?: number }> } };
    return r.apiKeys.limits.shared?.requests;
  };

  it('refuses on either replica once both together spent the rpm', async () => {
    const [a, b] = gws;
    expect([await send(a), await send(a)]).to.deep.equal([200, 200]);
    await waitFor('b heard of a', async () => (await requestsLeft(b)) === 2);
    expect([await send(b), await send(b)]).to.deep.equal([200, 200]);
    await waitFor('a heard of b', async () => (await requestsLeft(a)) === 0);
    expect([await send(a), await send(b)]).to.deep.equal([429, 429]);
  });
});
