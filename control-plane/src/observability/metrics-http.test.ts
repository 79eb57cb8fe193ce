// The control plane's /metrics over HTTP, driven end to end: a real nats-server, the default
// composition (faster autoscaler and collector ticks), a Model of one simulator replica with
// an autoscaling policy applied through the API. Every component's families must move: the
// controllers reconcile and publish, the actuator spawns (and kills on delete), the collector
// scrapes, the projector writes routes, the autoscaler reports its target, the tails their lag.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startAutoscaler } from '../autoscaler/runner/index.js';
import { startCollector } from '../collector/collector.js';
import { parsePrometheusText, type PromSample } from '../collector/prometheus.js';
import { defaultComponents, type ComponentStarter } from '../runtime/components.js';
import { startControlPlane, type ControlPlane } from '../runtime/control-plane.js';

const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });
const MODEL = 'obs-metrics';
const INFER = `${MODEL}-sim`;

const policy = {
  apiVersion: 'registry.matrixinfer.ai/v1alpha1',
  kind: 'AutoscalingPolicy',
  metadata: { name: 'obs-running', namespace: 'default' },
  spec: { metrics: [{ metricName: 'running', targetValue: 4 }] },
};
const model = {
  apiVersion: 'registry.matrixinfer.ai/v1alpha1',
  kind: 'Model',
  metadata: { name: MODEL, namespace: 'default' },
  spec: { name: MODEL, backends: [{ name: 'sim', type: 'vLLM', modelURI: 'hf://e2e/tiny', minReplicas: 1, maxReplicas: 2, autoscalingPolicyRef: 'obs-running', workers: [{ type: 'server', replicas: 1, config: { profile: 'cpu-small' } }] }] },
};

/** Sum of the samples of `name` whose labels include `labels`. */
function total(samples: PromSample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
}
function has(samples: PromSample[], name: string, labels: Record<string, string> = {}): boolean {
  return samples.some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('control-plane /metrics over HTTP (real nats-server, simulator replica)', function () {
  this.timeout(60_000);
  let server: TestNatsServer;
  let dataDir: string;
  let cp: ControlPlane | undefined;
  let text = '';
  const scrape = async (): Promise<PromSample[]> => {
    const res = await fetch(`${cp!.api.url}/metrics`);
    expect(res.status).to.equal(200);
    text = await res.text();
    return parsePrometheusText(text);
  };

  before(async () => {
    server = await startNatsServer();
    dataDir = mkdtempSync(join(tmpdir(), 'mi-obs-metrics-'));
    const fast: Record<string, ComponentStarter['start']> = {
      autoscaler: (c) => startAutoscaler({ nc: c.nc, logger: c.logger, tickMs: 200, ensure: false, metrics: c.metrics }),
      collector: (c) => startCollector({ nc: c.nc, logger: c.logger, intervalMs: 200, metrics: c.metrics }),
    };
    const components = defaultComponents().map((c) => (fast[c.name] ? { name: c.name, start: fast[c.name] } : c));
    cp = await startControlPlane({ natsUrl: server.url, dataDir, apiPort: 0, logger, components });
  });
  after(async () => {
    await cp?.stop();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves every family with help text and bounded labels before anything happens', async () => {
    const s = await scrape();
    for (const family of [
      'mi_controlplane_reconciles_total', 'mi_controlplane_reconcile_duration_seconds', 'mi_controlplane_decisions_published_total',
      'mi_controlplane_event_lag_messages', 'mi_controlplane_event_lag_seconds', 'mi_actuator_operations_total', 'mi_actuator_failures_total',
      'mi_autoscaler_desired_replicas', 'mi_autoscaler_current_replicas', 'mi_autoscaler_panic_mode', 'mi_autoscaler_metric_value',
      'mi_projector_propagation_seconds', 'mi_projector_kv_writes_total', 'mi_collector_scrapes_total', 'mi_collector_endpoints', 'mi_api_requests_total',
    ]) expect(text, family).to.include(`# HELP ${family} `);
    // One lag series per tail, named <component>:<filter>, present from the start.
    for (const consumer of ['controller/model:mi.desired.>', 'controller/infer:mi.observed.instance.>', 'projector:mi.observed.endpoint.>', 'actuator/local:mi.decisions.infer.>', 'collector:mi.observed.instance.>', 'autoscaler:mi.metrics.>', 'endpoint-controller:mi.observed.instance.>', 'external-metrics:mi.desired.>']) {
      expect(has(s, 'mi_controlplane_event_lag_messages', { consumer }), consumer).to.equal(true);
    }
    expect(total(s, 'mi_actuator_operations_total', { operation: 'spawn' })).to.equal(0);
    expect(has(s, 'mi_autoscaler_desired_replicas')).to.equal(false);
  });

  it('moves with a Model applied through the API, and forgets its target when it is deleted', async () => {
    const body = `${JSON.stringify(policy)}\n---\n${JSON.stringify(model)}\n`;
    const applied = await fetch(`${cp!.api.url}/apis/v1/apply`, { method: 'POST', body });
    expect(applied.status, await applied.clone().text()).to.equal(200);

    const s = await waitFor('a scraped replica and an autoscaler reading', async () => {
      const x = await scrape();
      return total(x, 'mi_collector_scrapes_total', { result: 'ok' }) > 0 && has(x, 'mi_autoscaler_metric_value', { target: INFER, metric: 'running' }) && x;
    });
    expect(total(s, 'mi_controlplane_reconciles_total', { controller: 'model', result: 'ok' })).to.be.greaterThan(0);
    expect(total(s, 'mi_controlplane_reconciles_total', { controller: 'infer', result: 'ok' })).to.be.greaterThan(0);
    expect(total(s, 'mi_controlplane_reconciles_total', { controller: 'actuator', result: 'ok' })).to.be.greaterThan(0);
    expect(total(s, 'mi_controlplane_reconciles_total', { controller: 'autoscaler', result: 'ok' })).to.be.greaterThan(0);
    expect(total(s, 'mi_controlplane_reconcile_duration_seconds_count', { controller: 'model' })).to.be.greaterThan(0);
    for (const type of ['model.children', 'workload.instances', 'autoscaler.decision']) {
      expect(total(s, 'mi_controlplane_decisions_published_total', { type }), type).to.be.greaterThan(0);
    }
    expect(total(s, 'mi_actuator_operations_total', { operation: 'spawn' })).to.equal(1);
    expect(total(s, 'mi_collector_endpoints')).to.equal(1);
    expect(total(s, 'mi_projector_propagation_seconds_count')).to.be.greaterThan(0);
    expect(total(s, 'mi_projector_kv_writes_total', { bucket: 'routes' })).to.be.greaterThan(0);
    expect(total(s, 'mi_autoscaler_current_replicas', { namespace: 'default', target: INFER })).to.equal(1);
    expect(total(s, 'mi_autoscaler_desired_replicas', { namespace: 'default', target: INFER })).to.equal(1);
    expect(total(s, 'mi_autoscaler_panic_mode', { namespace: 'default', target: INFER })).to.equal(0);
    // The model controller read every message of its tail: nothing behind the head.
    expect(total(s, 'mi_controlplane_event_lag_messages', { consumer: 'controller/model:mi.desired.>' })).to.equal(0);
    expect(total(s, 'mi_controlplane_event_lag_seconds', { consumer: 'controller/model:mi.desired.>' })).to.equal(0);
    // No per-request or per-instance ids as labels: only the known label names appear.
    const allowed = new Set(['controller', 'result', 'type', 'consumer', 'operation', 'reason', 'namespace', 'target', 'metric', 'bucket', 'le', 'method', 'route', 'code', 'kind']);
    for (const x of s.filter((y) => /^mi_(controlplane|actuator|autoscaler|projector|collector)_/.test(y.name))) {
      for (const l of Object.keys(x.labels)) expect(allowed.has(l), `${x.name} label ${l}`).to.equal(true);
    }

    const deleted = await fetch(`${cp!.api.url}/apis/v1/models/${MODEL}?namespace=default`, { method: 'DELETE' });
    expect(deleted.status).to.equal(200);
    const gone = await waitFor('the replica killed and the target forgotten', async () => {
      const x = await scrape();
      return total(x, 'mi_actuator_operations_total', { operation: 'kill' }) === 1 && !has(x, 'mi_autoscaler_desired_replicas', { target: INFER }) && x;
    });
    expect(has(gone, 'mi_autoscaler_metric_value', { target: INFER })).to.equal(false);
    expect(total(gone, 'mi_actuator_failures_total')).to.equal(0);
  });
});
