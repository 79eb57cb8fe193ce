// `mi up`'s default nats-server (#18): every component has its own user and the server speaks
// TLS with a local CA; the gateway serves HTTPS with --gateway-tls; `mi` on the same machine
// finds the admin credentials; no password is on a command line; no permission is missing.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { BUCKETS, openKv, readNatsAuthFile } from '@matrixinfer/events';
import { runMi } from '../cli/mi.js';
import { captureIO } from '../cli/testing.js';
import { httpsStatus } from './gateways.js';
import { pollUntil } from './ports.js';
import { secretsDir } from './local-security.js';
import { startUp, type UpHandle } from './up.js';
import { freePort } from '@matrixinfer/events/testing';


const mode = (f: string) => statSync(f).mode & 0o777;

describe('mi up secures its own nats-server and the gateway listener', function () {
  this.timeout(90_000);
  let dataDir: string;
  let handle: UpHandle;
  const stop = new AbortController();

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mi-up-secure-'));
    const [natsPort, gatewayPort] = [await freePort(), await freePort()];
    handle = await startUp({ dataDir, natsPort, gateways: 1, gatewayPort, apiPort: 0, apply: [], gatewayTls: true, readyTimeoutMs: 10_000, schedulerConfig: 'least-request' }, { out: () => {}, err: () => {} }, stop.signal);
  });
  after(async () => {
    stop.abort();
    await handle?.done;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes credentials and keys readable by the owner only', () => {
    const dir = secretsDir(dataDir);
    expect(mode(dir)).to.equal(0o700);
    const files = readdirSync(dir).filter((f) => f !== 'tls');
    expect(files).to.include.members(['nats-server.conf', 'nats-mi-admin.json', 'nats-mi-control-plane.json', 'nats-mi-gateway-gw-0.json']);
    for (const f of [...files.map((x) => join(dir, x)), ...readdirSync(join(dir, 'tls')).map((x) => join(dir, 'tls', x))]) expect(mode(f), f).to.equal(0o600);
  });

  it('refuses a client without credentials and one that does not trust the CA', async () => {
    const admin = readNatsAuthFile(handle.adminAuthFile!);
    const noUser = await connect({ servers: handle.natsUrl, tls: { caFile: admin.caFile } }).then((nc) => nc.close().then(() => 'connected'), (e: Error) => e.message);
    expect(noUser).to.match(/Authorization Violation/i);
    const noCa = await connect({ servers: handle.natsUrl, user: admin.user, pass: admin.password, timeout: 3000 }).then((nc) => nc.close().then(() => 'connected'), (e: Error) => e.message);
    expect(noCa).to.not.equal('connected');
    const ok = await connect({ servers: handle.natsUrl, user: admin.user, pass: admin.password, tls: { caFile: admin.caFile } });
    await ok.close();
  });

  it("refuses the gateway's user a desired-state event (its file carries the restricted user)", async () => {
    const gw = readNatsAuthFile(join(secretsDir(dataDir), 'nats-mi-gateway-gw-0.json'));
    const nc = await connect({ servers: handle.natsUrl, user: gw.user, pass: gw.password, inboxPrefix: gw.inboxPrefix, tls: { caFile: gw.caFile } });
    try {
      const errors: string[] = [];
      void (async () => { for await (const s of nc.status()) if (s.type === 'error') errors.push(s.error.message); })();
      nc.publish('mi.desired.model.default.x', '{}');
      await nc.flush();
      // The -ERR comes before the PONG of the flush, but the status loop may run a tick later.
      await new Promise((r) => setImmediate(r));
      expect(errors.join('\n')).to.match(/Permissions Violation for Publish to "mi\.desired\.model\.default\.x"/);
    } finally {
      await nc.close();
    }
  });

  it('lets `mi` on the same machine use the admin credentials of the data dir', async () => {
    const c = captureIO({ env: { MI_DATA_DIR: dataDir } });
    const code = await runMi(['get', 'models'], c.io);
    expect(code, c.err.join('\n')).to.equal(0);
    const elsewhere = captureIO({ env: { MI_DATA_DIR: join(dataDir, 'none') } });
    expect(await runMi(['--nats-url', handle.natsUrl, 'get', 'models'], elsewhere.io)).to.not.equal(0);
  });

  it('serves the gateway over HTTPS with the local CA and refuses plain HTTP', async () => {
    const url = handle.gateways[0].url;
    expect(url).to.match(/^https:\/\/127\.0\.0\.1:/);
    expect(await httpsStatus(`${url}/healthz`, handle.caFile!)).to.equal(200);
    const plain = await fetch(url.replace('https:', 'http:') + '/healthz').then((r) => `status ${r.status}`, (e: Error) => e.message);
    expect(plain).to.not.match(/^status 200/);
  });

  it('lets the gateway report its scheduler config under its own mi-config key', async () => {
    const admin = readNatsAuthFile(handle.adminAuthFile!);
    const nc = await connect({ servers: handle.natsUrl, user: admin.user, pass: admin.password, tls: { caFile: admin.caFile } });
    try {
      const kv = await openKv(jetstream(nc), BUCKETS.config);
      let status: string | undefined;
      await pollUntil(async () => (status = (await kv.get('scheduler.status.gw-0'))?.string()) !== undefined, Date.now() + 10_000);
      expect(status).to.match(/least-request|applied/);
    } finally {
      await nc.close();
    }
  });

  it('puts no password on a command line and logs no permission violation', () => {
    const passwords = readdirSync(secretsDir(dataDir)).filter((f) => f.endsWith('.json')).map((f) => readNatsAuthFile(join(secretsDir(dataDir), f)).password!);
    const pids = readFileSync(join(dataDir, 'children.pids'), 'utf8').split('\n').filter(Boolean).map((l) => Number(l.split(' ')[0]));
    expect(pids).to.have.length(2);
    for (const pid of pids) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8');
      for (const p of passwords) {
        expect(argv).to.not.include(p);
        expect(env).to.not.include(p);
      }
    }
    for (const f of readdirSync(join(dataDir, 'logs'))) {
      const log = readFileSync(join(dataDir, 'logs', f), 'utf8');
      // nats-server says "Publish Violation" / "Subscription Violation", clients "Permissions Violation".
      const violations = log.split('\n').filter((l) => /Publish Violation|Subscription Violation|Permissions Violation/.test(l) && !l.includes('mi.desired.model.default.x'));
      expect(violations, f).to.deep.equal([]);
      for (const p of passwords) expect(log, f).to.not.include(p);
    }
  });
});
