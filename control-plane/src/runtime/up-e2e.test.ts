// `mi up` end to end on a test nats-server: the quickstart Model becomes two ready simulator
// replicas, and stopping leaves no engine process behind; a restart resumes without duplicates.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { INSTANCE_OBSERVATION, STREAMS, connectNats, replay, type InstanceObservation } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { processRunning } from '../actuator/process.js';
import { REPO_ROOT } from '../cli/testing.js';
import { defaultComponents } from './components.js';
import { startUp, type UpOptions } from './up.js';

describe('mi up end to end (real nats-server, real simulator processes)', function () {
  this.timeout(60_000);
  let server: TestNatsServer;
  let dataDir: string;
  const stops: AbortController[] = [];
  const pending: Promise<void>[] = [];

  before(async () => {
    server = await startNatsServer();
    dataDir = mkdtempSync(join(tmpdir(), 'mi-up-e2e-'));
  });
  afterEach(async () => {
    for (const s of stops.splice(0)) s.abort();
    await Promise.all(pending.splice(0));
  });
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const opts = (): UpOptions => ({
    natsUrl: server.url,
    dataDir,
    gateways: 0,
    gatewayPort: 0,
    apiPort: 0,
    apply: [join(REPO_ROOT, 'examples', 'quickstart.yaml')],
    components: defaultComponents(),
    readyTimeoutMs: 40_000,
  });

  async function up() {
    const lines: string[] = [];
    const stop = new AbortController();
    stops.push(stop);
    const h = await startUp(opts(), { out: (l) => lines.push(l), err: (l) => lines.push(l) }, stop.signal);
    pending.push(h.done);
    return { h, lines, stop };
  }

  async function observedPids(): Promise<number[]> {
    const nc = await connectNats({ url: server.url, name: 'up-e2e' });
    try {
      const r = await replay<Set<number>>({
        js: jetstream(nc),
        stream: STREAMS.observed,
        filter: 'mi.observed.instance.>',
        initial: new Set(),
        fold: (s, ev) => {
          const o = ev.envelope.data as InstanceObservation;
          if (ev.envelope.type === INSTANCE_OBSERVATION && o.pid) s.add(o.pid);
          return s;
        },
      });
      return [...r.state];
    } finally {
      await nc.close();
    }
  }

  it('brings the quickstart to 2/2 ready, stops every process on stop, and resumes unchanged', async () => {
    const first = await up();
    expect(first.lines).to.include('model/llama created');
    expect(first.lines).to.include('waiting for model llama: 2/2 replicas ready');
    expect(first.lines).to.include('ready.');
    const pids = await observedPids();
    expect(pids).to.have.length(2);
    expect(pids.every(processRunning)).to.equal(true);
    first.stop.abort();
    await first.h.done;
    expect(pids.filter(processRunning)).to.deep.equal([]);

    const second = await up();
    expect(second.lines).to.include('model/llama unchanged');
    expect(second.lines).to.include('waiting for model llama: 2/2 replicas ready');
    const models = (await (await fetch(`${second.h.apiUrl}/apis/v1/modelinfers`)).json()) as { items: unknown[] };
    expect(models.items).to.have.length(1);
  });
});
