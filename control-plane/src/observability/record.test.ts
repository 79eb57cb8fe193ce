// The recorders: bound children, the error path of a reconcile, lag from stream time, and the
// autoscaler gauges forgetting targets that left the topology.
import { expect } from 'chai';
import { autoscalerGauges } from './autoscaler.js';
import { createControlPlaneMetrics } from './metrics.js';
import { countDecision, lagRecorder, reconcileRecorder } from './record.js';

async function value(m: ReturnType<typeof createControlPlaneMetrics>, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const fam = (await m.registry.getMetricsAsJSON()).find((f) => f.name === name);
  const v = fam?.values.find((x) => Object.entries(labels).every(([k, val]) => (x.labels as Record<string, unknown>)[k] === val));
  return v?.value;
}

describe('observability/recorders', () => {
  it('counts an ok and a failed reconcile and observes both durations with the given clock', async () => {
    const m = createControlPlaneMetrics();
    let t = 1000;
    const r = reconcileRecorder(m, 'model', () => t);
    await r.run(async () => void (t += 250));
    let caught: unknown;
    await r.run(async () => {
      t += 50;
      throw new Error('boom');
    }).catch((err: unknown) => (caught = err));
    expect((caught as Error).message).to.equal('boom');
    expect(await value(m, 'mi_controlplane_reconciles_total', { controller: 'model', result: 'ok' })).to.equal(1);
    expect(await value(m, 'mi_controlplane_reconciles_total', { controller: 'model', result: 'error' })).to.equal(1);
    const hist = (await m.registry.getMetricsAsJSON()).find((f) => f.name === 'mi_controlplane_reconcile_duration_seconds')!;
    const sum = hist.values.find((v) => (v as { metricName?: string }).metricName === 'mi_controlplane_reconcile_duration_seconds_sum');
    expect(sum?.value).to.be.closeTo(0.3, 1e-9);
  });

  it('records pending messages and, while behind, the age of the handled message (never negative, 0 at the head)', async () => {
    const m = createControlPlaneMetrics();
    const lag = lagRecorder(m, 'projector:mi.desired.>', () => 10_000);
    expect(await value(m, 'mi_controlplane_event_lag_messages', { consumer: 'projector:mi.desired.>' })).to.equal(0);
    lag(7, 7_500);
    expect(await value(m, 'mi_controlplane_event_lag_messages', { consumer: 'projector:mi.desired.>' })).to.equal(7);
    expect(await value(m, 'mi_controlplane_event_lag_seconds', { consumer: 'projector:mi.desired.>' })).to.equal(2.5);
    lag(1, 12_000);
    expect(await value(m, 'mi_controlplane_event_lag_seconds', { consumer: 'projector:mi.desired.>' }), 'never negative').to.equal(0);
    lag(3, 9_000);
    expect(await value(m, 'mi_controlplane_event_lag_seconds', { consumer: 'projector:mi.desired.>' })).to.equal(1);
    // At the head an old message (a quiet stream read at start-up) is not lag.
    lag(0, 1_000);
    expect(await value(m, 'mi_controlplane_event_lag_messages', { consumer: 'projector:mi.desired.>' })).to.equal(0);
    expect(await value(m, 'mi_controlplane_event_lag_seconds', { consumer: 'projector:mi.desired.>' })).to.equal(0);
  });

  it('does nothing without metrics', async () => {
    expect(await reconcileRecorder(undefined, 'x').run(async () => 42)).to.equal(42);
    lagRecorder(undefined, 'x')(1, 0);
    countDecision(undefined, 'x');
    autoscalerGauges(undefined).record({ namespace: 'a', target: 'b', desiredReplicas: 1, currentReplicas: 1, panic: false, values: {} });
  });

  it('autoscaler gauges: a metric that left the reading and a target that left the topology are removed', async () => {
    const m = createControlPlaneMetrics();
    const g = autoscalerGauges(m);
    g.record({ namespace: 'default', target: 'a', desiredReplicas: 3, currentReplicas: 1, panic: true, values: { running: 5, waiting: 2 } });
    g.record({ namespace: 'default', target: 'b', desiredReplicas: 1, currentReplicas: 1, panic: false, values: { running: 0 } });
    expect(await value(m, 'mi_autoscaler_panic_mode', { target: 'a' })).to.equal(1);
    expect(await value(m, 'mi_autoscaler_metric_value', { target: 'a', metric: 'waiting' })).to.equal(2);
    g.record({ namespace: 'default', target: 'a', desiredReplicas: 3, currentReplicas: 3, panic: false, values: { running: 4 } });
    expect(await value(m, 'mi_autoscaler_metric_value', { target: 'a', metric: 'waiting' })).to.equal(undefined);
    expect(await value(m, 'mi_autoscaler_current_replicas', { target: 'a' })).to.equal(3);
    g.retain(new Set(['default/a']));
    expect(await value(m, 'mi_autoscaler_desired_replicas', { target: 'b' })).to.equal(undefined);
    expect(await value(m, 'mi_autoscaler_metric_value', { target: 'b', metric: 'running' })).to.equal(undefined);
    expect(await value(m, 'mi_autoscaler_desired_replicas', { target: 'a' })).to.equal(3);
    countDecision(m, 'autoscaler.decision');
    expect(await value(m, 'mi_controlplane_decisions_published_total', { type: 'autoscaler.decision' })).to.equal(1);
  });
});
