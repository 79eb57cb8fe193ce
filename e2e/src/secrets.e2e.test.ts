// A known secret value goes nowhere it is not needed (#18). `mi up` (own nats-server with users
// and TLS, gateway over HTTPS) serves a Model whose engine env takes a Secret value; after a
// request through the gateway, the value is searched in every message of every stream (KV
// buckets included), every file of the data dir, `mi get -o yaml/json` of every kind, the
// gateway's /debug pages and the control-plane API. It may be only in the mi-secrets bucket
// (the store) and in the engine process's environment (which the test also checks, so the
// search is known to work).
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { KINDS } from '@matrixinfer/schemas';
import { INSTANCE_OBSERVATION, connectNats, type InstanceObservation } from '@matrixinfer/events';
import { ChildSet } from './support/children.js';
import { grepFiles, grepStreams, needleForms } from './support/grep-secrets.js';
import { miOk } from './support/mi.js';
import { startSecureMiUp, type SecureMiUp } from './support/mi-up.js';
import { writeManifest } from './support/manifests.js';
import { readStream } from './support/nats.js';
import { waitFor } from './support/poll.js';
import { freePort } from '@matrixinfer/events/testing';

const MODEL = 'e2e-secret';
// Random per run, so no earlier run or fixture can hold it by chance.
const SECRET = `s3cr3t-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;


/** GET or POST over HTTPS trusting `caFile`; resolves with status and body. */
function httpsCall(url: string, caFile: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(url, { method: data ? 'POST' : 'GET', ca: readFileSync(caFile), headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.once('error', reject);
    req.end(data);
  });
}

const manifest = [
  'apiVersion: v1',
  'kind: Secret',
  'metadata:',
  '  name: engine-token',
  'stringData:',
  `  token: ${SECRET}`,
  '---',
  'apiVersion: registry.matrixinfer.ai/v1alpha1',
  'kind: Model',
  'metadata:',
  `  name: ${MODEL}`,
  'spec:',
  `  name: ${MODEL}`,
  '  owner: e2e',
  '  backends:',
  '    - name: sim',
  '      type: vLLM',
  '      modelURI: hf://e2e/tiny',
  '      minReplicas: 1',
  '      maxReplicas: 1',
  '      env:',
  '        - name: ENGINE_TOKEN',
  '          valueFrom:',
  '            secretKeyRef: { name: engine-token, key: token }',
  '      workers:',
  '        - type: server',
  '          replicas: 1',
  '          config: { itl-ms: 1 }',
  '',
].join('\n');

describe('a secret value appears in no event, log, mi get output, /debug page or API response (#18)', function () {
  this.timeout(180_000);
  const children = new ChildSet();
  const needles = needleForms(SECRET);
  let dataDir: string;
  let manifestDir: string;
  let up: SecureMiUp;
  let nc: NatsConnection;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mi-e2e-secrets-'));
    // The manifest holds the value by design: it lives outside the searched data dir.
    manifestDir = mkdtempSync(join(tmpdir(), 'mi-e2e-secrets-manifest-'));
    up = await startSecureMiUp(children, dataDir, await freePort(), ['--gateways', '1', '--gateway-port', String(await freePort()), '--gateway-tls']);
    nc = await connectNats({ url: up.natsUrl, name: 'e2e-secrets', auth: up.admin });
    const out = await miOk(up.natsUrl, ['apply', '-f', writeManifest(manifestDir, 'secret-model.yaml', manifest)], { env: up.miEnv });
    expect(out).to.include('secret/engine-token created');
    await waitFor('the model to answer through the gateway', async () => {
      const r = await httpsCall(`${up.gatewayUrls[0]}/v1/chat/completions`, up.caFile, { model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }).catch(() => null);
      return r?.status === 200 || undefined;
    }, { timeoutMs: 60_000 });
  });
  after(async () => {
    await nc?.close().catch(() => {});
    // SIGTERM first: `mi up` stops its gateways and nats-server (each in its own process group,
    // which a SIGKILL of `mi up`'s group alone would leave running).
    if (up) await children.stop(up.child, 15_000);
    await children.killAll();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(manifestDir, { recursive: true, force: true });
  });

  it('is in the engine process environment (so the search below can find it)', async () => {
    const evs = await readStream<InstanceObservation>(nc, 'observed', `mi.observed.instance.>`);
    const pids = [...new Set(evs.filter((e) => e.envelope.type === INSTANCE_OBSERVATION && e.envelope.data.pid).map((e) => e.envelope.data.pid!))];
    expect(pids).to.have.length.greaterThan(0);
    const envs = pids.map((p) => { try { return readFileSync(`/proc/${p}/environ`, 'utf8'); } catch { return ''; } });
    expect(envs.some((e) => e.split('\0').includes(`ENGINE_TOKEN=${SECRET}`))).to.equal(true);
  });

  it('is in no stream message except the mi-secrets store', async () => {
    const streams = await grepStreams(nc, needles);
    const names = streams.map((s) => s.stream);
    expect(names).to.include.members(['MI_DESIRED', 'MI_OBSERVED', 'MI_DECISIONS', 'MI_METRICS', 'KV_mi-routes', 'KV_mi-status', 'KV_mi-config', 'KV_mi-secrets']);
    const store = streams.find((s) => s.stream === 'KV_mi-secrets')!;
    expect(store.hits, 'the store holds it (the search works)').to.have.length(1);
    const leaks = streams.filter((s) => s.stream !== 'KV_mi-secrets').flatMap((s) => s.hits);
    expect(leaks).to.deep.equal([]);
    expect(streams.reduce((n, s) => n + s.messages, 0)).to.be.greaterThan(10);
  });

  it('is in no file of the data dir (logs, instance logs, state) outside the JetStream store', () => {
    const { hits, files } = grepFiles(dataDir, needles, ['nats']);
    expect(files).to.be.greaterThan(3);
    expect(hits).to.deep.equal([]);
  });

  it('served the request with no permission refused to any component (the least-privilege users suffice)', () => {
    // nats-server logs "Publish Violation" / "Subscription Violation" and "authentication error";
    // the clients log "Permissions Violation" / "Authorization Violation".
    const { hits, files } = grepFiles(join(dataDir, 'logs'), ['Violation', 'authentication error']);
    expect(files).to.be.greaterThan(2);
    expect(hits).to.deep.equal([]);
  });

  it('is in no `mi get -o yaml|json` output of any kind', async () => {
    for (const k of KINDS) {
      for (const o of ['yaml', 'json']) {
        const text = await miOk(up.natsUrl, ['get', k.plural, '-A', '-o', o], { env: up.miEnv });
        expect(needles.some((n) => text.includes(n)), `mi get ${k.plural} -o ${o}`).to.equal(false);
      }
    }
    expect(await miOk(up.natsUrl, ['get', 'models', '-A', '-o', 'json'], { env: up.miEnv })).to.include('engine-token');
  });

  it('is on no gateway /debug page nor control-plane API response', async () => {
    const gw = up.gatewayUrls[0];
    const pages = ['/debug/routes', '/debug/scheduler', '/debug/endpoints', '/debug/ratelimits', '/metrics', '/healthz'];
    for (const p of pages) {
      const r = await httpsCall(`${gw}${p}`, up.caFile);
      expect(r.status, p).to.equal(200);
      expect(needles.some((n) => r.text.includes(n)), `gateway ${p}`).to.equal(false);
    }
    const api = ['/healthz', '/metrics', ...KINDS.map((k) => `/apis/v1/${k.plural}`), `/apis/v1/models/${MODEL}`];
    for (const p of api) {
      const res = await fetch(`${up.apiUrl}${p}`);
      const text = await res.text();
      expect(res.status, `${p}: ${text}`).to.equal(200);
      expect(needles.some((n) => text.includes(n)), `API ${p}`).to.equal(false);
    }
  });
});
