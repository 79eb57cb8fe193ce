// PodMetrics as the collector's ResourceSource: the pure reduction, and the lister against a
// stand-in metrics API on listen(0) (the path, label selector and answers of metrics-server).
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import winston from 'winston';
import { startCollector } from '@matrixinfer/control-plane';
import { INSTANCE_OBSERVATION, decodeSample, encodeEvent, makeEvent, observedSubject, type EngineSample, type InstanceObservation } from '@matrixinfer/events';
import { startNatsServer } from '@matrixinfer/events/testing';
import { podMetricsSource, podUsageOf } from './pod-metrics.js';

const pm = (namespace: string, name: string, containers: { cpu: string; memory: string }[]) => ({
  metadata: { name, namespace, creationTimestamp: '2026-12-07T11:00:00Z' },
  timestamp: '2026-12-07T11:00:00Z',
  window: '15.012s',
  containers: containers.map((usage, i) => ({ name: `c${i}`, usage })),
});
const LIST = { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: [
  pm('default', 'mi1-0-server-0-0', [{ cpu: '1500m', memory: '2Gi' }, { cpu: '250000000n', memory: '512Mi' }]),
  pm('team', 'other-0', [{ cpu: '2', memory: '1000Ki' }]),
  pm('default', 'broken', [{ cpu: 'lots', memory: '1Gi' }]),
] };

describe('k8s/metrics podUsageOf', () => {
  it('sums containers: nanocores, millicores and cores; Ki/Mi/Gi bytes', () => {
    const u = podUsageOf(LIST);
    expect(u.get('default/mi1-0-server-0-0')).to.deep.equal({ cpuCores: 1.75, memoryBytes: 2 * 2 ** 30 + 512 * 2 ** 20 });
    expect(u.get('team/other-0')).to.deep.equal({ cpuCores: 2, memoryBytes: 1000 * 1024 });
  });
  it('leaves out items it cannot read, and anything that is not a list', () => {
    expect(podUsageOf(LIST).has('default/broken')).to.equal(false);
    expect(podUsageOf({ items: [{ metadata: { name: 'x', namespace: 'y' }, containers: [] }] }).size).to.equal(0);
    expect(podUsageOf(null).size).to.equal(0);
    expect(podUsageOf({ kind: 'Status' }).size).to.equal(0);
  });
});

describe('k8s/metrics podMetricsSource (stand-in metrics API)', () => {
  let server: Server;
  let kubeConfig: KubeConfig;
  let status = 200;
  const requests: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const u = new URL(req.url ?? '/', 'http://x');
      const ns = /^\/apis\/metrics\.k8s\.io\/v1beta1\/(?:namespaces\/([^/]+)\/)?pods$/.exec(u.pathname);
      if (ns === null) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"kind":"Status","code":404}');
      if (status !== 200) return void res.writeHead(status, { 'content-type': 'application/json' }).end(`{"kind":"Status","code":${status},"message":"the server is currently unable to handle the request"}`);
      const items = LIST.items.filter((i) => ns[1] === undefined || i.metadata.namespace === ns[1]);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...LIST, items }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({ clusters: [{ name: 'c', server: url, skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    requests.length = 0;
    status = 200;
  });

  const targets = [
    { key: 'default/mi1-0-server-0-0', namespace: 'default', instance: 'mi1-0-server-0-0', address: 'http://10.0.0.5:8000' },
    { key: 'default/not-measured-yet', namespace: 'default', instance: 'not-measured-yet', address: 'http://10.0.0.6:8000' },
  ];

  it('answers the targets it has PodMetrics for; one list (our Pods by label) per refresh period', async () => {
    const src = podMetricsSource({ kubeConfig, refreshMs: 10_000 });
    const a = await src.read(targets, 1000);
    expect([...a]).to.deep.equal([['default/mi1-0-server-0-0', { cpuCores: 1.75, memoryBytes: 2 * 2 ** 30 + 512 * 2 ** 20 }]]);
    await src.read(targets, 5000); // cached
    expect(requests).to.have.length(1);
    expect(requests[0]).to.equal('/apis/metrics.k8s.io/v1beta1/pods?labelSelector=modelinfer.matrixinfer.ai%2Fname');
    await src.read(targets, 11_000);
    expect(requests).to.have.length(2);
  });

  it('one namespace: the namespaced path', async () => {
    const src = podMetricsSource({ kubeConfig, namespace: 'team' });
    expect((await src.read([{ key: 'team/other-0', namespace: 'team', instance: 'other-0', address: 'http://10.0.0.7:1' }], 0)).get('team/other-0')).to.deep.equal({ cpuCores: 2, memoryBytes: 1024000 });
    expect(requests[0]).to.match(/^\/apis\/metrics\.k8s\.io\/v1beta1\/namespaces\/team\/pods\?/);
  });

  it('no metrics-server (503): a coded error, retried after the period, not at every read', async () => {
    status = 503;
    const src = podMetricsSource({ kubeConfig, refreshMs: 10_000 });
    let caught: unknown;
    try {
      await src.read(targets, 0);
    } catch (err) {
      caught = err;
    }
    expect((caught as { code?: string }).code).to.equal('MI_ERR_K8S_ACTUATOR_API');
    expect((caught as Error).message).to.contain('HTTP 503');
    expect((await src.read(targets, 1000)).size).to.equal(0);
    expect(requests).to.have.length(1);
    status = 200;
    expect((await src.read(targets, 10_000)).size).to.equal(1);
  });

  it('rejects a refresh period that is not positive', () => {
    expect(() => podMetricsSource({ kubeConfig, refreshMs: 0 })).to.throw().with.property('code', 'MI_ERR_K8S_ACTUATOR_INVALID_OPTION');
  });

  it('feeds the collector: a Pod endpoint (no pid) gets cpuCores/memoryBytes in its samples', async function () {
    this.timeout(20_000);
    const nats = await startNatsServer();
    const nc = await connect({ servers: nats.url });
    const engine = createServer((req, res) => void (req.url === '/metrics' ? res.end('vllm:num_requests_waiting 4\nvllm:num_requests_running 1\nvllm:kv_cache_usage_perc 0.5\n') : res.writeHead(404).end()));
    await new Promise<void>((r) => engine.listen(0, '127.0.0.1', () => r()));
    const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });
    const collector = await (async () => {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'MI_OBSERVED', subjects: ['mi.observed.>'] });
      await jsm.streams.add({ name: 'MI_DESIRED', subjects: ['mi.desired.>'] });
      return startCollector({ nc, logger, intervalMs: 100, resources: podMetricsSource({ kubeConfig, refreshMs: 1000 }) });
    })();
    try {
      const got: EngineSample[] = [];
      nc.subscribe('mi.metrics.engine.>', { callback: (_e, m) => void got.push(decodeSample<EngineSample>(m.string())!) });
      const obs: InstanceObservation = { instance: 'mi1-0-server-0-0', namespace: 'default', modelInfer: 'mi1', phase: 'ready', revision: 'r', labels: {}, address: `http://127.0.0.1:${(engine.address() as AddressInfo).port}`, timeMs: Date.now() };
      const subject = observedSubject('instance', 'default', 'mi1', obs.instance);
      await jetstream(nc).publish(subject, encodeEvent(makeEvent(INSTANCE_OBSERVATION, 'test', subject, obs)));
      const deadline = Date.now() + 5000;
      while (!got.some((x) => x.cpuCores !== undefined) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(got.find((x) => x.cpuCores !== undefined)).to.deep.include({ endpoint: 'mi1-0-server-0-0', waiting: 4, cpuCores: 1.75, memoryBytes: 2 * 2 ** 30 + 512 * 2 ** 20 });
    } finally {
      await collector.stop();
      await nc.close();
      await nats.close();
      await new Promise<void>((r) => engine.close(() => r()));
    }
  });
});
