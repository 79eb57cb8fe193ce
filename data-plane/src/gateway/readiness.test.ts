// Readiness follows the routing table: not ready while the bucket does not exist, ready once it
// is loaded (even empty); /v1/models lists model names and LoRA adapters with their parent.
import { expect } from 'chai';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startGateway, type GatewayHandle } from './gateway.js';
import { modelEntry, putRoute, routesBucket, server, waitFor } from './testing.js';

describe('gateway readiness and model list', function () {
  let nats: TestNatsServer;
  let nc: NatsConnection;
  let gw: GatewayHandle;

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
  });
  after(async () => {
    await gw?.close();
    await nc?.close();
    await nats?.close();
  });

  it('answers /readyz 503 until the bucket exists, then 200; /healthz always 200', async () => {
    gw = await startGateway({ port: 0, natsUrl: nats.url, name: 'gw-ready', logLevel: 'off' });
    expect((await fetch(`${gw.url}/healthz`)).status).to.equal(200);
    const before = await fetch(`${gw.url}/readyz`);
    expect(before.status).to.equal(503);
    await before.text();
    const kv = await routesBucket(nc);
    await putRoute(kv, modelEntry('base', [server('base-srv', [{ id: 'e', url: 'http://127.0.0.1:9' }])]));
    await putRoute(kv, { ...modelEntry('sql-lora', [server('base-srv', [{ id: 'e', url: 'http://127.0.0.1:9' }])]), kind: 'lora', route: 'base-route' });
    await waitFor('ready', async () => (await fetch(`${gw.url}/readyz`)).status === 200, 5000);
    await waitFor('both entries', () => gw.table().entries.size === 2);
    const list = (await (await fetch(`${gw.url}/v1/models`)).json()) as { object: string; data: Array<{ id: string; object: string; parent: string | null }> };
    expect(list.object).to.equal('list');
    expect(list.data.map((m) => [m.id, m.object, m.parent])).to.deep.equal([
      ['base', 'model', null],
      ['sql-lora', 'model', 'base'],
    ]);
  });

  it('forgets a deleted model: 404 and gone from /v1/models', async () => {
    const kv = await routesBucket(nc);
    await kv.delete('sql-lora');
    await waitFor('delete applied', () => !gw.table().entries.has('sql-lora'));
    const r = await fetch(`${gw.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'sql-lora', prompt: 'x' }) });
    expect(r.status).to.equal(404);
    await r.text();
    const routes = (await (await fetch(`${gw.url}/debug/routes`)).json()) as { entries: Record<string, unknown> };
    expect(Object.keys(routes.entries)).to.deep.equal(['base']);
  });
});
