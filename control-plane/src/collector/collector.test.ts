// Integration test of the collector: a real nats-server, fixture engine servers on listen(0).
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import winston from 'winston';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { decodeSample, INSTANCE_OBSERVATION, desiredSubject, observedSubject, type EngineSample, type InstanceObservation } from '@matrixinfer/events';
import { publishEnvelope } from '../actuator/bus.js';
import { startCollector, type Collector } from './collector.js';
import type { ResourceSource } from './resources.js';
import { DCGM, SGLANG, VLLM_MODELS_WITH_LORA, VLLM_V1 } from './fixtures.js';

const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Fixture {
  server: Server;
  address: string;
  body: string;
  models?: unknown;
}

async function fixtureEngine(body: string, models?: unknown, path = '/metrics'): Promise<Fixture> {
  const f = { body, models } as Fixture;
  f.server = createServer((req, res) => {
    if (req.url === path) res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(f.body);
    else if (req.url === '/v1/models' && f.models !== undefined) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(f.models));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => f.server.listen(0, '127.0.0.1', () => r()));
  const addr = f.server.address();
  f.address = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  return f;
}

describe('collector/startCollector (real nats-server, fixture engines)', function () {
  this.timeout(20_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let sub: Subscription;
  let samples: { subject: string; sample: EngineSample }[] = [];
  let collector: Collector | undefined;
  const fixtures: Fixture[] = [];

  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'MI_OBSERVED', subjects: ['mi.observed.>'] });
    await jsm.streams.add({ name: 'MI_DESIRED', subjects: ['mi.desired.>'] });
    await jsm.streams.add({ name: 'MI_METRICS', subjects: ['mi.metrics.>'] });
    sub = nc.subscribe('mi.metrics.engine.>', {
      callback: (_err, m) => {
        const env = m.json<{ type: string; subject: string }>();
        // Samples travel in the standard envelope, like every other payload.
        expect(env).to.include({ type: 'metrics.engine.sample', subject: m.subject });
        samples.push({ subject: m.subject, sample: decodeSample<EngineSample>(m.string())! });
      },
    });
  });
  after(async () => {
    sub?.unsubscribe();
    await nc?.close();
    await server?.close();
  });
  afterEach(async () => {
    await collector?.stop();
    collector = undefined;
    for (const f of fixtures.splice(0)) f.server.close();
    samples = [];
    await (await jetstreamManager(nc)).streams.purge('MI_OBSERVED');
    await (await jetstreamManager(nc)).streams.purge('MI_DESIRED');
  });

  async function observe(instance: string, phase: InstanceObservation['phase'], address?: string, labels: Record<string, string> = {}, pid?: number): Promise<void> {
    const obs: InstanceObservation = { instance, namespace: 'default', modelInfer: 'mi1', phase, revision: 'r1', labels, address, timeMs: Date.now(), ...(pid === undefined ? {} : { pid }) };
    await publishEnvelope(jetstream(nc), INSTANCE_OBSERVATION, 'test', observedSubject('instance', 'default', 'mi1', instance), obs, Date.now());
  }
  const of = (endpoint: string): EngineSample[] => samples.filter((s) => s.sample.endpoint === endpoint).map((s) => s.sample);

  it('scrapes a ready vLLM endpoint and publishes normalized samples with deltas and adapters', async () => {
    const f = await fixtureEngine(VLLM_V1, VLLM_MODELS_WITH_LORA);
    fixtures.push(f);
    await publishEnvelope(jetstream(nc), 'resource.applied', 'test', desiredSubject('ModelServer', 'default', 'ms1'), {
      apiVersion: 'networking.matrixinfer.ai/v1alpha1',
      kind: 'ModelServer',
      metadata: { name: 'ms1', namespace: 'default' },
      spec: { workloadSelector: { matchLabels: { 'modelinfer.matrixinfer.ai/name': 'mi1' } } },
    }, Date.now());
    collector = await startCollector({ nc, logger, intervalMs: 100 });
    await observe('mi1-0-leader-0-0', 'ready', f.address, { 'modelinfer.matrixinfer.ai/name': 'mi1' });
    const first = await waitFor('a sample', () => of('mi1-0-leader-0-0')[0]);
    expect(samples[0].subject).to.equal('mi.metrics.engine.default.mi1-0-leader-0-0');
    expect(first).to.deep.include({
      endpoint: 'mi1-0-leader-0-0', address: f.address, modelServer: 'ms1', target: 'mi1', engine: 'vLLM',
      running: 3, waiting: 2, kvUsage: 0.4375, kvBlocks: 27264, blockSize: 16,
      promptTokensTotal: 12800, generationTokensTotal: 2048, prefixCacheQueriesTotal: 12800, prefixCacheHitsTotal: 4096,
    });
    expect(first.adapters).to.deep.equal(['sql-lora']);
    // Any metric: gauges from the first scrape on, histograms once there is a previous scrape.
    expect(first.custom?.['vllm:num_requests_waiting']).to.equal(2);
    // The engine answers 10 more first tokens taking 1 s in total: the next sample says so.
    f.body = VLLM_V1.replace('time_to_first_token_seconds_count{engine="0",model_name="Qwen/Qwen3-8B"} 40.0', 'time_to_first_token_seconds_count{engine="0",model_name="Qwen/Qwen3-8B"} 50.0')
      .replace('time_to_first_token_seconds_sum{engine="0",model_name="Qwen/Qwen3-8B"} 3.2', 'time_to_first_token_seconds_sum{engine="0",model_name="Qwen/Qwen3-8B"} 4.2');
    const moved = await waitFor('a TTFT delta', () => of('mi1-0-leader-0-0').find((s) => s.ttft !== undefined && s.ttft.count === 10));
    expect(moved.ttft!.sumSeconds).to.be.closeTo(1, 1e-9);
    expect(moved.itl).to.deep.equal({ sumSeconds: 0, count: 0 });
    expect(moved.custom?.['vllm:time_to_first_token_seconds@mean']).to.be.closeTo(0.1, 1e-9);
  });

  it('learns endpoints present before it started, drops them when they stop', async () => {
    const f = await fixtureEngine(SGLANG);
    fixtures.push(f);
    await observe('s', 'starting');
    await observe('s', 'ready', f.address);
    collector = await startCollector({ nc, logger, intervalMs: 100 });
    const s = await waitFor('an SGLang sample', () => of('s')[0]);
    expect(s).to.deep.include({ engine: 'SGLang', running: 4, waiting: 7, kvUsage: 0.62, modelServer: '' });
    expect(s).to.not.have.property('adapters'); // /v1/models answered 404: adapters unknown
    await observe('s', 'stopped');
    await waitFor('endpoint dropped', () => collector!.stats().endpoints === 0);
    const count = of('s').length;
    const cycles = collector.stats().cycles;
    await waitFor('two more cycles', () => collector!.stats().cycles >= cycles + 2);
    expect(of('s').length).to.be.at.most(count + 1); // at most one scrape was already in flight
  });

  it('counts and survives scrape failures and unrecognized metrics', async () => {
    const dead = await fixtureEngine('');
    await new Promise<void>((r) => dead.server.close(() => r())); // nobody listens there now
    const odd = await fixtureEngine('process_cpu_seconds_total 1\n');
    const good = await fixtureEngine(VLLM_V1);
    fixtures.push(odd, good);
    collector = await startCollector({ nc, logger, intervalMs: 100, scrapeTimeoutMs: 500 });
    await observe('dead', 'ready', dead.address);
    await observe('odd', 'ready', odd.address);
    await observe('good', 'ready', good.address);
    // Generous: once in ~10 full CI runs this took over 5 s (the observations reach the collector
    // through its MI_OBSERVED tail; cause not found, see the session note), never locally.
    await waitFor('failures counted', () => collector!.stats().scrapeFailures >= 2 && collector!.stats().unrecognized >= 2, 15_000);
    await waitFor('good still sampled', () => of('good').length >= 2);
    expect(of('dead')).to.have.length(0);
    expect(of('odd')).to.have.length(0);
  });

  const portOf = (f: Fixture): number => Number(new URL(f.address).port);
  async function bind(name: string, target: Record<string, unknown>): Promise<void> {
    await publishEnvelope(jetstream(nc), 'resource.applied', 'test', desiredSubject('AutoscalingPolicyBinding', 'default', name), {
      apiVersion: 'registry.matrixinfer.ai/v1alpha1',
      kind: 'AutoscalingPolicyBinding',
      metadata: { name, namespace: 'default' },
      spec: { policyRef: { name: 'p' }, scalingConfiguration: { target: { targetRef: { name: 'mi1' }, ...target }, maxReplicas: 4 } },
    }, Date.now());
  }

  it("a binding's metricEndpoint is scraped besides the engine's /metrics; additionalMatchLabels filter custom, not the normalized fields", async () => {
    const engine = await fixtureEngine(VLLM_V1);
    // A DCGM-exporter-like sidecar on another port of the same host.
    const dcgm = await fixtureEngine(DCGM, undefined, '/gpu/metrics');
    fixtures.push(engine, dcgm);
    await bind('b-gpu', { metricEndpoint: { port: portOf(dcgm), uri: '/gpu/metrics' }, additionalMatchLabels: { gpu: '0' } });
    await observe('e1', 'ready', engine.address);
    collector = await startCollector({ nc, logger, intervalMs: 100 });
    // Binding and endpoint were there at start: the very first sample reads the metricEndpoint.
    const s = await waitFor('a sample', () => of('e1')[0]);
    expect(s.metricsUrl).to.equal(`http://127.0.0.1:${portOf(dcgm)}/gpu/metrics`);
    expect(s.custom?.DCGM_FI_DEV_GPU_UTIL).to.equal(87); // gpu="0" only (gpu="1" reads 13)
    expect(s.custom?.DCGM_FI_DEV_FB_USED).to.equal(30000);
    // The engine's families carry no gpu label: filtered out of custom...
    expect(s.custom).to.not.have.property('vllm:num_requests_waiting');
    // ...while the normalized fields stay the endpoint's whole load (the gateway routes on them).
    expect(s).to.include({ waiting: 2, running: 3, engine: 'vLLM' });
  });

  it("additionalMatchLabels naming replica labels (MatrixInfer's pod labels) select the replicas whose series count", async () => {
    const engine = await fixtureEngine(VLLM_V1);
    fixtures.push(engine);
    await bind('b-role', { additionalMatchLabels: { 'modelinfer.matrixinfer.ai/role': 'server' } });
    collector = await startCollector({ nc, logger, intervalMs: 100 });
    await observe('server-0', 'ready', engine.address, { 'modelinfer.matrixinfer.ai/role': 'server' });
    await observe('worker-0', 'ready', engine.address, { 'modelinfer.matrixinfer.ai/role': 'worker' });
    const server = await waitFor('a server sample', () => of('server-0')[0]);
    const worker = await waitFor('a worker sample', () => of('worker-0')[0]);
    expect(server.custom?.['vllm:num_requests_waiting']).to.equal(2);
    expect(worker.custom).to.deep.equal({});
    expect(worker.waiting).to.equal(2); // normalized fields are never filtered
  });

  it('a failing metricEndpoint is counted; samples still flow without its families; an engine serving metrics only there is normalized from it', async () => {
    const engine = await fixtureEngine(VLLM_V1);
    const dead = await fixtureEngine('');
    await new Promise<void>((r) => dead.server.close(() => r()));
    fixtures.push(engine);
    await bind('b-dead', { metricEndpoint: { port: portOf(dead) } });
    collector = await startCollector({ nc, logger, intervalMs: 100, scrapeTimeoutMs: 500 });
    await observe('e2', 'ready', engine.address);
    await waitFor('bound failures', () => collector!.stats().boundScrapeFailures >= 2);
    const s = await waitFor('a sample', () => of('e2')[0]);
    expect(s.custom?.['vllm:num_requests_waiting']).to.equal(2);
    expect(s.custom).to.not.have.property('DCGM_FI_DEV_GPU_UTIL');
    // Now the engine's default /metrics has nothing of vLLM, its metrics port does.
    const odd = await fixtureEngine('process_cpu_seconds_total 1\n');
    const metricsPort = await fixtureEngine(SGLANG);
    fixtures.push(odd, metricsPort);
    await bind('b-dead', { metricEndpoint: { port: portOf(metricsPort) } });
    await observe('e3', 'ready', odd.address);
    const t = await waitFor('a sample normalized from the metricEndpoint', () => of('e3')[0]);
    expect(t).to.include({ engine: 'SGLang', waiting: 7, address: odd.address });
  });

  it('a local replica (loopback address, pid of its process group) gets cpuCores and memoryBytes from /proc', async function () {
    if (process.platform !== 'linux') this.skip();
    // A real engine-like child in its own process group, as the local actuator starts one,
    // serving /metrics and spinning half of the time.
    const script = `
      const body = ${JSON.stringify(VLLM_V1)};
      const srv = require('node:http').createServer((q, r) => { if (q.url === '/metrics') r.end(body); else { r.statusCode = 404; r.end(); } });
      srv.listen(0, '127.0.0.1', () => process.stdout.write(srv.address().port + '\\n'));
      setInterval(() => { const t = Date.now(); while (Date.now() - t < 10) {} }, 20);`;
    const child: ChildProcess = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      const address = `http://127.0.0.1:${line.toString().trim()}`;
      collector = await startCollector({ nc, logger, intervalMs: 100 });
      await observe('local', 'ready', address, {}, child.pid);
      const s = await waitFor('a sample with a CPU rate', () => of('local').find((x) => x.cpuCores !== undefined));
      expect(s.memoryBytes).to.be.greaterThan(10 * 1024 * 1024);
      expect(s.cpuCores).to.be.within(0.05, 1.5);
      // The same engine observed without a pid (a Kubernetes actuator's view): no resource fields.
      await observe('remote', 'ready', address);
      const r = await waitFor('a sample without a pid', () => of('remote')[0]);
      expect(r).to.not.have.property('memoryBytes');
      expect(r).to.not.have.property('cpuCores');
    } finally {
      const gone = once(child, 'exit');
      process.kill(-child.pid!, 'SIGKILL');
      await gone;
    }
  });

  it('a ResourceSource passed in (as Kubernetes mode does) fills the fields by endpoint key; one that throws costs only the fields', async () => {
    const engine = await fixtureEngine(VLLM_V1);
    fixtures.push(engine);
    let broken = false;
    const asked: string[][] = [];
    const resources: ResourceSource = {
      name: 'fake',
      read: async (targets) => {
        asked.push(targets.map((t) => `${t.key}|${t.instance}|${t.address}`));
        if (broken) throw Object.assign(new Error('metrics API down'), { code: 'X' });
        return new Map([['default/pod-a', { cpuCores: 0.25, memoryBytes: 123 }]]);
      },
    };
    collector = await startCollector({ nc, logger, intervalMs: 100, resources });
    await observe('pod-a', 'ready', engine.address);
    await observe('pod-b', 'ready', engine.address);
    const a = await waitFor('pod-a sample', () => of('pod-a')[0]);
    const b = await waitFor('pod-b sample', () => of('pod-b')[0]);
    expect(a).to.include({ cpuCores: 0.25, memoryBytes: 123 });
    expect(b).to.not.have.property('cpuCores');
    expect(asked.some((list) => list.includes(`default/pod-a|pod-a|${engine.address}`))).to.equal(true);
    broken = true;
    const n = of('pod-a').length;
    const after = await waitFor('samples while the source fails', () => of('pod-a').length > n + 2 && of('pod-a').slice(-1)[0]);
    expect(after).to.not.have.property('memoryBytes');
  });

  it('rejects an invalid interval at start-up', async () => {
    let caught: unknown;
    try {
      await startCollector({ nc, logger, intervalMs: 0 });
    } catch (err) {
      caught = err;
    }
    expect((caught as { code?: string }).code).to.equal('MI_ERR_COLLECTOR_INVALID_OPTION');
  });
});
