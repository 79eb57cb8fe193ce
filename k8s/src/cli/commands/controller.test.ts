// `mi controller --kubernetes` as a user runs it: the real `mi` entry (forwarding to mi-k8s) as
// a child process against the test API server and a real nats-server; bad invocations fail
// with a message and exit code, never a stack trace.
import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createResourceStore, tlsBlock } from '@matrixinfer/events';
import { freePort, startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { CoreV1Api } from '@kubernetes/client-node';
import winston from 'winston';
import { K8S_NATS_USERS, k8sAuthorizationConf, natsServerDnsNames } from '../../install/nats-users.js';
import { ensureNatsTls } from '../../controller/nats-tls.js';
import { kubectl, kubectlPath } from '../../testing/apiserver/kubectl.js';
import { startTestApiServer, type TestApiServer } from '../../testing/apiserver/server.js';

const MI = fileURLToPath(new URL('../../../../control-plane/bin/mi.js', import.meta.url));
const CRD_DIR = fileURLToPath(new URL('../../../crds/', import.meta.url));

function run(args: string[], env: Record<string, string> = {}): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [MI, ...args], { env: { ...process.env, KUBECONFIG: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exit };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not met in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('mi controller --kubernetes (real mi entry, test API server, real nats-server)', function () {
  this.timeout(60_000);
  let server: TestNatsServer;
  let api: TestApiServer;
  let nc: NatsConnection;
  const running: ChildProcess[] = [];
  before(async function () {
    if (!kubectlPath()) this.skip();
    server = await startNatsServer();
    api = await startTestApiServer({ crds: readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).map((f) => join(CRD_DIR, f)), namespaces: ['default'] });
    nc = await connect({ servers: server.url });
  });
  after(async () => {
    for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
    await nc?.close();
    await api?.stop();
    await server?.close();
  });

  it('without --kubernetes, or with an unreadable kubeconfig, it exits 1 with a message', async () => {
    const bare = run(['controller']);
    expect(await bare.exit).to.equal(1);
    expect(bare.err()).to.match(/mi controller only runs in Kubernetes mode: pass --kubernetes/);
    const bad = run(['controller', '--kubernetes', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(await bad.exit).to.equal(1);
    expect(bad.err()).to.match(/cannot read the kubeconfig \/nonexistent\/kubeconfig/);
    expect(bad.err()).to.not.match(/\n\s+at /);
    const bare2 = await startTestApiServer({ namespaces: ['default'] });
    try {
      const nocrd = run(['controller', '--kubernetes', '--kubeconfig', bare2.kubeconfigPath]);
      expect(await nocrd.exit).to.equal(1);
      expect(nocrd.err()).to.match(/the CRD models\.registry\.matrixinfer\.ai is not installed on http:\/\/127\.0\.0\.1:\d+: run `kubectl apply -k k8s\/crds`/);
    } finally {
      await bare2.stop();
    }
    // Nothing listens on port 1 of the loopback address.
    const dir = mkdtempSync(join(tmpdir(), 'mi-kc-'));
    try {
      writeFileSync(join(dir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\nclusters: [{ name: x, cluster: { server: "http://127.0.0.1:1" } }]\ncontexts: [{ name: x, context: { cluster: x } }]\ncurrent-context: x\n');
      const down = run(['controller', '--kubernetes', '--kubeconfig', join(dir, 'kubeconfig')]);
      expect(await down.exit).to.equal(1);
      expect(down.err()).to.match(/cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts, ingests a kubectl-applied Model, marks Kubernetes mode, and stops cleanly on SIGTERM', async () => {
    const c = run(['controller', '--kubernetes', '--kubeconfig', api.kubeconfigPath, '--nats-url', server.url, '--api-port', '0', '--log-level', 'warn']);
    running.push(c.child);
    await until('the start line', () => /"controller":"kubernetes"/.test(c.out()) || c.child.exitCode !== null);
    const line = JSON.parse(c.out().trim().split('\n')[0]) as { api: string; lease: string | null };
    expect(line.lease).to.equal('default/matrixinfer-controller');
    expect((await fetch(`${line.api}/healthz`)).status).to.equal(200);

    const yaml = 'apiVersion: registry.matrixinfer.ai/v1alpha1\nkind: Model\nmetadata: { name: cli }\nspec:\n  backends: [{ name: sim, type: vLLM, modelURI: hf://org/m, minReplicas: 0, maxReplicas: 1, workers: [{ type: server }] }]\n';
    expect((await kubectl(api, ['apply', '-f', '-'], { input: yaml })).code).to.equal(0);
    const store = createResourceStore({ js: jetstream(nc), jsm: await jetstreamManager(nc) });
    await until('the Model in MI_DESIRED', async () => (await store.get('Model', 'default', 'cli')) !== null);
    const post = await fetch(`${line.api}/apis/v1/apply`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml });
    expect(post.status).to.equal(403);

    c.child.kill('SIGTERM');
    expect(await c.exit).to.equal(0);
  });

  it('--nats-credentials-secret, --nats-tls-secret on a fresh install: makes the Secret, waits for the NATS that needs it, connects over TLS as mi-control-plane', async () => {
    // The TLS Secret as the controller would make it, plus `localhost`: the name nats.js checks
    // for this test's 127.0.0.1 (in a cluster: `nats`). nats-tls.test.ts covers its making.
    const silent = winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });
    const tls = await ensureNatsTls({ kubeConfig: api.kubeConfig, namespace: 'default', secretName: 'mi-nats-tls', dnsNames: [...natsServerDnsNames('default'), 'localhost'], logger: silent });
    const certDir = mkdtempSync(join(tmpdir(), 'mi-nats-tls-'));
    writeFileSync(join(certDir, 'tls.crt'), tls.cert);
    writeFileSync(join(certDir, 'tls.key'), tls.key);
    // What a fresh `kubectl apply -k` does: NATS cannot start before the Secret exists.
    const port = await freePort();
    const c = run(['controller', '--kubernetes', '--kubeconfig', api.kubeconfigPath, '--nats-url', `nats://127.0.0.1:${port}`, '--api-port', '0', '--log-level', 'warn', '--nats-credentials-secret', 'mi-nats-credentials', '--nats-tls-secret', 'mi-nats-tls'], { POD_NAMESPACE: 'default' });
    running.push(c.child);
    const core = api.kubeConfig.makeApiClient(CoreV1Api);
    let data: Record<string, string> = {};
    await until('the Secret', async () => {
      data = (await core.readNamespacedSecret({ name: 'mi-nats-credentials', namespace: 'default' }).catch(() => undefined))?.data ?? {};
      return Object.keys(data).length > 0 || c.child.exitCode !== null;
    });
    expect(Object.keys(data).sort()).to.deep.equal(K8S_NATS_USERS.map((u) => u.secretKey).sort());
    await until('a wait for NATS logged', () => /NATS not reachable yet; waiting for it/.test(c.err()) || c.child.exitCode !== null);
    const env = Object.fromEntries(K8S_NATS_USERS.map((u) => [u.serverEnv, Buffer.from(data[u.secretKey]!, 'base64').toString()]));
    const secured = await startNatsServer({ port, config: k8sAuthorizationConf() + tlsBlock({ certFile: join(certDir, 'tls.crt'), keyFile: join(certDir, 'tls.key') }), env });
    try {
      await until('the start line', () => /"controller":"kubernetes"/.test(c.out()) || c.child.exitCode !== null);
      expect(c.child.exitCode, c.err()).to.equal(null);
      // It works as its own user: the mode key is set, and a kubectl-applied Model is ingested.
      const admin = await connect({ servers: secured.url, user: 'mi-admin', pass: env.MI_NATS_ADMIN_PASSWORD, tls: { ca: tls.ca } });
      try {
        const yaml = 'apiVersion: registry.matrixinfer.ai/v1alpha1\nkind: Model\nmetadata: { name: secured }\nspec:\n  backends: [{ name: sim, type: vLLM, modelURI: hf://org/m, minReplicas: 0, maxReplicas: 1, workers: [{ type: server }] }]\n';
        expect((await kubectl(api, ['apply', '-f', '-'], { input: yaml })).code).to.equal(0);
        const store = createResourceStore({ js: jetstream(admin), jsm: await jetstreamManager(admin) });
        await until('the Model in MI_DESIRED', async () => (await store.get('Model', 'default', 'secured')) !== null);
      } finally {
        await admin.close();
      }
      expect(c.err()).to.not.match(/Permissions Violation/);
      c.child.kill('SIGTERM');
      expect(await c.exit).to.equal(0);
    } finally {
      await secured.close();
      rmSync(certDir, { recursive: true, force: true });
      for (const name of ['mi-nats-credentials', 'mi-nats-tls']) await core.deleteNamespacedSecret({ name, namespace: 'default' }).catch(() => undefined);
    }
  });

  it('two replicas: one leads, the standby does nothing; SIGKILL the leader in the middle of a burst of changes and the standby takes over; no event lost or twice', async () => {
    const args = ['controller', '--kubernetes', '--kubeconfig', api.kubeconfigPath, '--nats-url', server.url, '--api-port', '0', '--lease-duration', '2', '--log-level', 'info'];
    const a = run(args, { POD_NAME: 'replica-a' });
    running.push(a.child);
    await until('a leads', () => /"message":"started leading"/.test(a.err()));
    const b = run(args, { POD_NAME: 'replica-b' });
    running.push(b.child);
    await until('b started', () => /"controller":"kubernetes"/.test(b.out()));
    const model = (name: string) => `apiVersion: registry.matrixinfer.ai/v1alpha1\nkind: Model\nmetadata: { name: ${name} }\nspec:\n  backends: [{ name: sim, type: vLLM, modelURI: hf://org/m, minReplicas: 0, maxReplicas: 1, workers: [{ type: server }] }]\n`;
    const store = createResourceStore({ js: jetstream(nc), jsm: await jetstreamManager(nc) });
    expect((await kubectl(api, ['apply', '-f', '-'], { input: model('first') })).code).to.equal(0);
    await until('first ingested', async () => (await store.get('Model', 'default', 'first')) !== null);
    expect(b.err()).to.not.match(/started leading/);

    // A burst of changes, and the leader dies in the middle of ingesting it.
    const burst = Array.from({ length: 12 }, (_, i) => model(`burst-${i}`)).join('---\n');
    const applying = kubectl(api, ['apply', '-f', '-'], { input: burst });
    await until('the burst started arriving', async () => (await store.list('Model', 'default')).length > 1, 20_000);
    // The controller itself (mi's child) dies without a chance to release the lease.
    const controllerPid = Number(execFileSync('pgrep', ['-P', String(a.child.pid)]).toString().trim().split('\n')[0]);
    const killedAt = Date.now();
    process.kill(controllerPid, 'SIGKILL');
    await a.exit;
    await until('b leads', () => /"message":"started leading"/.test(b.err()), 20_000);
    const tookMs = Date.now() - killedAt;
    expect((await kubectl(api, ['apply', '-f', '-'], { input: model('second') })).code).to.equal(0);
    await until('second ingested', async () => (await store.get('Model', 'default', 'second')) !== null);
    expect((await applying).code).to.equal(0);
    await until('the whole burst ingested', async () => (await store.list('Model', 'default')).filter((m) => m.metadata.name.startsWith('burst-')).length === 12, 20_000);
    // One version per Kubernetes resourceVersion and one decision per change, across the takeover.
    const desired = await (await jetstreamManager(nc)).streams.info('MI_DESIRED', { subjects_filter: 'mi.desired.model.>' });
    expect(desired.state.subjects).to.deep.include({ 'mi.desired.model.default.first': 1, 'mi.desired.model.default.second': 1 });
    for (let i = 0; i < 12; i++) expect((desired.state.subjects as Record<string, number>)[`mi.desired.model.default.burst-${i}`], `burst-${i}`).to.equal(1);
    const decisions = await (await jetstreamManager(nc)).streams.info('MI_DECISIONS', { subjects_filter: 'mi.decisions.model.default.first' });
    expect(decisions.state.subjects).to.deep.equal({ 'mi.decisions.model.default.first': 1 });
    expect(tookMs, 'takeover after the leader died (ms)').to.be.below(15_000);

    b.child.kill('SIGTERM');
    expect(await b.exit).to.equal(0);
  });

  it('SIGKILL of mi itself: the controller it started notices and stops (no orphan)', async () => {
    const c = run(['controller', '--kubernetes', '--kubeconfig', api.kubeconfigPath, '--nats-url', server.url, '--api-port', '0', '--no-leader-elect', '--log-level', 'warn']);
    running.push(c.child);
    await until('started', () => /"controller":"kubernetes"/.test(c.out()));
    const controllerPid = Number(execFileSync('pgrep', ['-P', String(c.child.pid)]).toString().trim().split('\n')[0]);
    c.child.kill('SIGKILL');
    await until('the controller gone', () => {
      try {
        process.kill(controllerPid, 0);
        return false;
      } catch {
        return true;
      }
    }, 20_000);
  });
});
