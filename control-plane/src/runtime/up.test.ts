// `mi up` pieces against a real nats-server: the composition starts and stops cleanly, resumes
// on the same data dir (apply says unchanged), refuses a second instance, reports busy ports.
import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { BUCKETS, openKv } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { REPO_ROOT } from '../cli/testing.js';
import { startNatsChild } from './nats-child.js';
import { isPortInUse } from './ports.js';
import { curlLine, startUp, type UpOptions } from './up.js';

const QUICKSTART = join(REPO_ROOT, 'examples', 'quickstart.yaml');

function listenAny(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

describe('mi up curl line', () => {
  it('names the local CA for an HTTPS gateway (--gateway-tls) and nothing for HTTP', () => {
    expect(curlLine('https://127.0.0.1:8080', 'llama', '/d/secrets/tls/ca.pem')).to.match(/^curl -s --cacert \/d\/secrets\/tls\/ca\.pem https:\/\/127\.0\.0\.1:8080\/v1\/chat\/completions /);
    expect(curlLine('http://127.0.0.1:8080', 'llama', '/d/ca.pem')).to.match(/^curl -s http:\/\/127\.0\.0\.1:8080\/v1/);
  });
});

describe('mi up runtime (real nats-server)', function () {
  this.timeout(30_000);
  let server: TestNatsServer;
  let dataDir: string;
  const stops: AbortController[] = [];

  before(async () => {
    server = await startNatsServer();
    dataDir = mkdtempSync(join(tmpdir(), 'mi-up-'));
  });
  afterEach(() => {
    for (const s of stops.splice(0)) s.abort();
  });
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const opts = (extra: Partial<UpOptions> = {}): UpOptions => ({
    natsUrl: server.url,
    dataDir,
    gateways: 0,
    gatewayPort: 0,
    apiPort: 0,
    apply: [QUICKSTART],
    // No actuator here: this suite checks the composition, not running engines.
    components: [],
    readyTimeoutMs: 300,
    ...extra,
  });

  async function up(o: UpOptions) {
    const lines: string[] = [];
    const stop = new AbortController();
    stops.push(stop);
    const h = await startUp(o, { out: (l) => lines.push(l), err: (l) => lines.push(l) }, stop.signal);
    return { h, lines, stop };
  }

  it('applies the quickstart, shows progress, serves the API, and stops cleanly', async () => {
    const { h, lines, stop } = await up(opts());
    expect(lines).to.include('model/llama created');
    expect(lines).to.include('waiting for model llama: 0/2 replicas ready');
    expect(lines.some((l) => l.startsWith('warning: model llama is not ready yet'))).to.equal(true);
    expect((await fetch(`${h.apiUrl}/healthz`)).status).to.equal(200);
    const got = (await (await fetch(`${h.apiUrl}/apis/v1/models/llama`)).json()) as { spec: { backends: { minReplicas: number }[] } };
    expect(got.spec.backends[0].minReplicas).to.equal(2);
    stop.abort();
    await h.done;
    expect(lines.slice(-1)).to.deep.equal(['stopped.']);
    expect(existsSync(join(dataDir, 'mi-up.pid'))).to.equal(false);
    expect(await isPortInUse(Number(new URL(h.apiUrl).port))).to.equal(false);
  });

  it('resumes on the same data dir: the quickstart is unchanged; a second mi up is refused', async () => {
    const { h, lines, stop } = await up(opts());
    expect(lines).to.include('model/llama unchanged');
    let err: unknown;
    try {
      await up(opts());
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).to.equal('MI_ERR_DATA_DIR_BUSY');
    stop.abort();
    await h.done;
  });

  it('writes the --config scheduler into mi-config key scheduler before gateways start', async () => {
    const { h, lines, stop } = await up(opts({ apply: [], schedulerConfig: 'round-robin' }));
    expect(lines.some((l) => /^scheduler +mi-config key scheduler \(revision \d+\)/.test(l))).to.equal(true);
    const nc = await connect({ servers: server.url });
    try {
      const e = await (await openKv(jetstream(nc), BUCKETS.config)).get('scheduler');
      expect(e?.string()).to.equal('round-robin');
    } finally {
      await nc.close();
    }
    stop.abort();
    await h.done;
  });

  it('says when the nats-server port is busy; starts and stops its own nats-server otherwise', async () => {
    const blocker = await listenAny();
    const port = (blocker.address() as { port: number }).port;
    let err: unknown;
    try {
      await startNatsChild({ dataDir, port });
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).to.equal('MI_ERR_PORT_BUSY');
    expect((err as Error).message).to.match(new RegExp(`port ${port} is already in use.*--nats-url nats://127\\.0\\.0\\.1:${port}`));
    await new Promise((r) => blocker.close(r));
    const nats = await startNatsChild({ dataDir, port });
    try {
      expect(await isPortInUse(port)).to.equal(true);
    } finally {
      await nats.stop();
    }
    expect(nats.child.running()).to.equal(false);
    expect(await isPortInUse(port)).to.equal(false);
  });
});
