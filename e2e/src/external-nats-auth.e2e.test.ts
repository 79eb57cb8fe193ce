// `mi up --nats-url` on a NATS of your own with users and TLS (#18): the credentials come from
// MI_NATS_USER / MI_NATS_PASSWORD / MI_NATS_INBOX_PREFIX / MI_NATS_CA, for the control plane and
// for `mi`; without them both are refused.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authorizationBlock, connectNats, makeNatsUsers, tlsBlock, type NatsUser } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { ensureLocalCerts, type LocalCerts } from '@matrixinfer/control-plane';
import { ChildSet } from './support/children.js';
import { miOk, runMi } from './support/mi.js';
import { startMiUp } from './support/mi-up.js';
import { modelYaml, writeManifest } from './support/manifests.js';
import { grepFiles } from './support/grep-secrets.js';
import { entryEndpoints, readRoute, routesKv } from './support/nats.js';
import { waitFor } from './support/poll.js';

const envOf = (u: NatsUser, certs: LocalCerts) => ({ MI_NATS_USER: u.user, MI_NATS_PASSWORD: u.password, MI_NATS_INBOX_PREFIX: u.inboxPrefix, MI_NATS_CA: certs.caFile });

describe('mi up and mi on an external NATS with users and TLS (credentials by environment)', function () {
  this.timeout(120_000);
  const children = new ChildSet();
  let dir: string;
  let certs: LocalCerts;
  let server: TestNatsServer;
  let admin: NatsUser;
  let cp: NatsUser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mi-e2e-extnats-'));
    certs = await ensureLocalCerts(join(dir, 'tls'));
    [admin, cp] = makeNatsUsers([{ kind: 'admin' }, { kind: 'control-plane' }], randomBytes);
    server = await startNatsServer({ config: authorizationBlock([admin, cp]) + tlsBlock(certs) });
  });
  after(async () => {
    await children.killAll();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses mi without credentials', async () => {
    const r = await runMi(server.url, ['get', 'models'], { env: { MI_NATS_CA: certs.caFile } });
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/Authorization Violation|authorization/i);
  });

  it('runs the control plane as its own user and mi as admin', async () => {
    await startMiUp(children, server.url, join(dir, 'data'), 'mi-up', envOf(cp, certs));
    const out = await miOk(server.url, ['apply', '-f', writeManifest(dir, 'm.yaml', modelYaml({ name: 'e2e-ext', replicas: 1 }))], { env: envOf(admin, certs) });
    expect(out).to.include('model/e2e-ext created');
    const json = JSON.parse(await miOk(server.url, ['get', 'models', '-o', 'json'], { env: envOf(admin, certs) })) as { items: { metadata: { name: string } }[] };
    expect(json.items.map((i) => i.metadata.name)).to.deep.equal(['e2e-ext']);
    // The whole control plane works under its user: the replica starts, the projector routes it.
    const nc = await connectNats({ url: server.url, name: 'e2e-ext', auth: { user: admin.user, password: admin.password, caFile: certs.caFile } });
    try {
      const kv = await routesKv(nc);
      await waitFor('the model to be routed', async () => entryEndpoints(await readRoute(kv, 'e2e-ext')).length === 1 || undefined, { timeoutMs: 60_000 });
    } finally {
      await nc.close();
    }
    expect(grepFiles(join(dir, 'data', 'logs'), ['Violation']).hits).to.deep.equal([]);
  });
});
