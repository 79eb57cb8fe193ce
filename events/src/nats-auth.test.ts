import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { authorizationBlock, makeNatsUsers, natsUserName, natsUserRef, permissionsFor, type NatsUser } from './nats-auth.js';
import { natsAuthFromEnv, NatsCredentialsError } from './nats-credentials.js';
import { connectNats } from './connect.js';
import { ensureBuckets, ensureStreams } from './setup.js';
import { startNatsServer, type TestNatsServer } from './testing/index.js';

// Deterministic "randomness": byte i of call c is c+i, so every password differs.
function countingBytes(): (n: number) => Buffer {
  let call = 0;
  return (n) => {
    call++;
    return Buffer.from(Array.from({ length: n }, (_, i) => (call + i) % 256));
  };
}

describe('nats-auth: users and permissions (pure)', () => {
  it('names one user per role and refuses a role twice', () => {
    const users = makeNatsUsers([{ kind: 'admin' }, { kind: 'control-plane' }, { kind: 'gateway', name: 'gw-0' }], countingBytes());
    expect(users.map((u) => u.user)).to.deep.equal(['mi-admin', 'mi-control-plane', 'mi-gateway-gw-0']);
    expect(new Set(users.map((u) => u.password)).size).to.equal(3);
    expect(() => makeNatsUsers([{ kind: 'gateway', name: 'a' }, { kind: 'gateway', name: 'a' }], countingBytes())).to.throw(/defined twice/);
  });

  it('gives a gateway no desired-state, observed, secrets or system subject', () => {
    const p = permissionsFor({ kind: 'gateway', name: 'gw-0' });
    for (const s of [...p.publish, ...p.subscribe]) {
      expect(s).to.not.match(/desired|observed|secrets|\$SYS|^>$|^\$JS\.API\.>$|^_INBOX\.>$/, s);
    }
    expect(p.subscribe).to.include(`_INBOX_${natsUserName({ kind: 'gateway', name: 'gw-0' })}.>`);
  });

  it('renders an authorization block with every user and allow_responses', () => {
    const users = makeNatsUsers([{ kind: 'admin' }, { kind: 'gateway', name: 'gw-1' }], countingBytes());
    const text = authorizationBlock(users);
    expect(text).to.match(/^authorization \{\n {2}users = \[/);
    expect(text.match(/allow_responses: true/g)).to.have.length(2);
    for (const u of users) expect(text).to.include(`password: "${u.password}"`);
  });
});

describe('nats-auth: passwords as server environment references (Kubernetes)', () => {
  it('renders `password: $VAR` unquoted (a variable to nats-server) and refuses a name it would read as a literal', () => {
    const ref = natsUserRef({ kind: 'gateway', name: 'k8s' }, 'MI_NATS_GATEWAY_PASSWORD');
    expect(ref).to.include({ user: 'mi-gateway-k8s', inboxPrefix: '_INBOX_mi-gateway-k8s' });
    expect(authorizationBlock([ref])).to.include('{ user: "mi-gateway-k8s", password: $MI_NATS_GATEWAY_PASSWORD, permissions:');
    for (const bad of ['', 'lower', '1ST', 'A-B', 'A B', '$A']) expect(() => natsUserRef({ kind: 'admin' }, bad), bad).to.throw(TypeError);
  });
});

describe('nats-credentials: where a client finds its credentials', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mi-natscreds-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads MI_NATS_AUTH_FILE first, then MI_NATS_USER/PASSWORD/CA', () => {
    const file = join(dir, 'gw.json');
    writeFileSync(file, JSON.stringify({ user: 'u', password: 'p', inboxPrefix: '_INBOX_u', caFile: '/ca.pem' }));
    expect(natsAuthFromEnv({ MI_NATS_AUTH_FILE: file, MI_NATS_USER: 'other' })).to.deep.equal({ url: undefined, user: 'u', password: 'p', inboxPrefix: '_INBOX_u', caFile: '/ca.pem' });
    expect(natsAuthFromEnv({ MI_NATS_USER: 'x', MI_NATS_PASSWORD: 'y', MI_NATS_CA: '/c' })).to.deep.equal({ user: 'x', password: 'y', caFile: '/c' });
    expect(natsAuthFromEnv({})).to.deep.equal({});
  });

  it('names the file when it is not usable', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"user":"u"}');
    expect(() => natsAuthFromEnv({ MI_NATS_AUTH_FILE: file })).to.throw(NatsCredentialsError, /bad\.json must hold/);
    expect(() => natsAuthFromEnv({ MI_NATS_AUTH_FILE: join(dir, 'missing.json') })).to.throw(NatsCredentialsError, /missing\.json/);
  });
});

describe('nats-auth: the permission sets on a real nats-server', function () {
  this.timeout(30_000);
  let server: TestNatsServer;
  let users: Record<'admin' | 'cp' | 'gw', NatsUser>;
  const open: NatsConnection[] = [];

  const as = async (u: NatsUser, errors?: string[]) => {
    const nc = await connectNats({ url: server.url, name: u.user, auth: { user: u.user, password: u.password, inboxPrefix: u.inboxPrefix } });
    open.push(nc);
    if (errors) void (async () => { for await (const s of nc.status()) if (s.type === 'error') errors.push(s.error.message); })();
    return nc;
  };

  before(async () => {
    const [admin, cp, gw] = makeNatsUsers([{ kind: 'admin' }, { kind: 'control-plane' }, { kind: 'gateway', name: 'gw-0' }], countingBytes());
    users = { admin, cp, gw };
    server = await startNatsServer({ config: authorizationBlock([admin, cp, gw]) });
  });
  after(async () => {
    for (const nc of open) await nc.close().catch(() => {});
    await server?.close();
  });

  it('lets the control plane create the streams and buckets and write desired state and secrets', async () => {
    const nc = await as(users.cp);
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    await ensureBuckets(jetstream(nc), jsm);
    const ack = await jetstream(nc).publish('mi.desired.model.default.m', '{}');
    expect(ack.stream).to.equal('MI_DESIRED');
    const secrets = await new Kvm(nc).create('mi-secrets', { history: 1 });
    await secrets.put('Secret.default.s', 'v');
    expect((await secrets.get('Secret.default.s'))?.string()).to.equal('v');
    await (await new Kvm(nc).open('mi-routes')).put('default.m', 'route-1');
  });

  it('lets the gateway watch mi-routes and mi-config, write its status key and publish its subjects', async () => {
    const errors: string[] = [];
    const nc = await as(users.gw, errors);
    const routes = await new Kvm(nc).open('mi-routes');
    expect((await routes.status()).values).to.equal(1);
    const w = await routes.watch({ key: '>' });
    const first = await w[Symbol.asyncIterator]().next();
    expect(first.value?.string()).to.equal('route-1');
    w.stop();
    const config = await new Kvm(nc).open('mi-config');
    const cw = await config.watch({ key: '>' });
    expect(await config.put('scheduler.status.gw-0', '{"result":"applied"}')).to.be.greaterThan(0);
    cw.stop();
    const admin = await as(users.admin);
    const got: string[] = [];
    const sub = admin.subscribe('mi.metrics.gateway.>', { callback: (_e, m) => void got.push(m.subject) });
    // Per-key budgets go gateway to gateway: the gateway user both publishes and hears them.
    const keyShare: string[] = [];
    const ks = nc.subscribe('mi.ratelimit.keys', { callback: (e, m) => void keyShare.push(e ? `error: ${e.message}` : m.string()) });
    await nc.flush();
    await admin.flush();
    nc.publish('mi.metrics.gateway.default.m', '{}');
    nc.publish('mi.inflight.gateway.gw-0', '{}');
    nc.publish('mi.ratelimit.keys', '{"from":"gw-0"}');
    await nc.flush();
    await admin.flush();
    sub.unsubscribe();
    ks.unsubscribe();
    expect(got).to.deep.equal(['mi.metrics.gateway.default.m']);
    expect(keyShare).to.deep.equal(['{"from":"gw-0"}']);
    expect(errors).to.deep.equal([]);
  });

  it('refuses the gateway a desired-state event, another stream, the secrets and another key', async () => {
    const errors: string[] = [];
    const nc = await as(users.gw, errors);
    nc.publish('mi.desired.model.default.m', '{}');
    await nc.flush();
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    const refused = async (p: Promise<unknown>) => ((await p.then(() => 'allowed', (e: Error) => e.message)) as string);
    expect(await refused(jsm.streams.info('MI_DESIRED'))).to.match(/Permissions Violation/);
    expect(await refused(new Kvm(nc).open('mi-secrets').then((kv) => kv.get('Secret.default.s')))).to.match(/Permissions Violation/);
    expect(await refused(new Kvm(nc).open('mi-config').then((kv) => kv.put('scheduler', 'x')))).to.match(/Permissions Violation/);
    // A refused subscription is closed with the violation (nats.js reports it there, not as status).
    const closed = await nc.subscribe('mi.desired.>').closed;
    expect(String(closed)).to.match(/Permissions Violation for Subscription to "mi\.desired\.>"/);
    expect(errors.some((e) => /Publish to "mi\.desired\.model\.default\.m"/.test(e)), errors.join('\n')).to.equal(true);
  });

  it('refuses a wrong password', async () => {
    const err = await connectNats({ url: server.url, name: 'x', auth: { user: users.gw.user, password: 'wrong' } }).catch((e: Error) => e);
    expect(String((err as Error).message)).to.match(/Authorization Violation|authorization/i);
  });
});
