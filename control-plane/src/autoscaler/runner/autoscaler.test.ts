// The autoscaler loop against a real nats-server, with synthetic samples published by the
// test (no engines). Short windows (stable 3 s, panic 600 ms, tick 200 ms) keep it fast.
import { expect } from 'chai';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import winston from 'winston';
import {
  BUCKETS,
  STREAMS,
  connectNats,
  createResourceStore,
  decisionSubject,
  decodeEvent,
  encodeEvent,
  ensureBuckets,
  ensureStreams,
  makeEvent,
  metricsSubject,
  openKv,
  type EngineSample,
  type GatewaySample,
  type ResourceInput,
  type ResourceStore,
} from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import type { ModelInfer } from '@matrixinfer/schemas';
import { ANNOTATIONS } from '../policy.js';
import { bindingStatus, readAutoscalerStatus, startAutoscaler, type RunningAutoscaler } from './autoscaler.js';
import type { AutoscalerDecisionData } from './step.js';

const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });
const TICK = 200;

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function policy(name: string): ResourceInput {
  return {
    apiVersion: 'registry.matrixinfer.ai/v1alpha1',
    kind: 'AutoscalingPolicy',
    metadata: { name, namespace: 'default', annotations: { [ANNOTATIONS.stableWindow]: '3s', [ANNOTATIONS.panicWindowPercent]: '20' } },
    spec: {
      metrics: [{ metricName: 'vllm:num_requests_waiting', targetValue: 10 }],
      behavior: { scaleUp: { panicPolicy: { panicModeHold: '1s' } }, scaleDown: { percent: 100, period: '1s' } },
    },
  };
}

function modelInfer(name: string, replicas: number): ResourceInput {
  return {
    apiVersion: 'workload.matrixinfer.ai/v1alpha1',
    kind: 'ModelInfer',
    metadata: { name, namespace: 'default' },
    spec: { replicas, template: { roles: [{ name: 'server', entryTemplate: { spec: { containers: [{ name: 'engine', image: 'sim' }] } } }] } },
  };
}

function binding(target: string, min: number, max: number): ResourceInput {
  return {
    apiVersion: 'registry.matrixinfer.ai/v1alpha1',
    kind: 'AutoscalingPolicyBinding',
    metadata: { name: target, namespace: 'default' },
    spec: { policyRef: { name: 'fast' }, scalingConfiguration: { target: { targetRef: { kind: 'ModelInfer', name: target } }, minReplicas: min, maxReplicas: max } },
  };
}

/** A seeded generator (mulberry32), so the noisy load is the same on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('autoscaler runner on nats-server', function () {
  this.timeout(60_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let store: ResourceStore;
  let status: KV;
  const running: RunningAutoscaler[] = [];
  const loads = new Map<string, () => number>();
  let feeder: NodeJS.Timeout | undefined;

  const replicas = async (name: string) => ((await store.get('ModelInfer', 'default', name))?.spec as ModelInfer['spec'] | undefined)?.replicas;
  const revision = async (name: string) => (await store.read('ModelInfer', 'default', name)).seq;
  const decisions = async (name: string): Promise<AutoscalerDecisionData[]> => {
    const out: AutoscalerDecisionData[] = [];
    const consumer = await js.consumers.get(STREAMS.decisions, { filter_subjects: decisionSubject('autoscaler', 'default', name) });
    const pending = (await consumer.info(true)).num_pending;
    for (let i = 0; i < pending; i++) {
      const m = await consumer.next({ expires: 1000 });
      if (!m) break;
      out.push(decodeEvent<AutoscalerDecisionData>(m.data).data);
    }
    await consumer.delete().catch(() => undefined);
    return out;
  };
  const engineSample = (target: string, waiting: number): EngineSample => ({
    endpoint: `${target}-ep`,
    address: 'http://127.0.0.1:1',
    modelServer: target,
    target,
    engine: 'vLLM',
    timeMs: Date.now(),
    running: 0,
    waiting,
    kvUsage: 0,
  });

  before(async () => {
    server = await startNatsServer();
    nc = await connectNats({ url: server.url, name: 'autoscaler-test' });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    await ensureBuckets(js, jsm);
    store = createResourceStore({ js, jsm, source: 'test' });
    status = await openKv(js, BUCKETS.status);
    await store.apply(policy('fast'));
    // Engine samples every 100 ms for every target with a load; half of them as envelopes.
    let n = 0;
    feeder = setInterval(() => {
      for (const [target, load] of loads) {
        const s = engineSample(target, load());
        const subject = metricsSubject('engine', 'default', s.endpoint);
        const payload = n++ % 2 === 0 ? JSON.stringify(s) : encodeEvent(makeEvent('metrics.engine', 'test', subject, s));
        void js.publish(subject, payload).catch(() => undefined);
      }
    }, 100);
  });
  afterEach(async () => {
    while (running.length > 0) await running.pop()!.stop();
  });
  after(async () => {
    if (feeder) clearInterval(feeder);
    while (running.length > 0) await running.pop()!.stop();
    await nc?.close();
    await server?.close();
  });

  it('3x load step: panic scale-up within the panic window; scale-down only after the stable window; one decision per tick with two replicas', async () => {
    await store.apply(modelInfer('step', 1));
    await store.apply(binding('step', 1, 10));
    let level = 10;
    loads.set('step', () => level);
    running.push(await startAutoscaler({ nc, logger, tickMs: TICK, ensure: false }));
    running.push(await startAutoscaler({ nc, logger, tickMs: TICK, ensure: false }));
    await sleep(3200); // a full stable window at 10 waiting on 1 replica: steady
    expect(await replicas('step')).to.equal(1);

    const stepAt = Date.now();
    level = 30;
    await until('scale-up to 3', async () => (await replicas('step')) === 3, 3000);
    // Wall-clock slack for a busy machine; the decision's own tick is checked tightly below.
    expect(Date.now() - stepAt, 'reaction time').to.be.below(3000);
    const up = (await decisions('step')).find((d) => d.valid && d.desiredReplicas === 3);
    expect(up?.mode).to.equal('panic');
    expect(up!.tickStartMs - stepAt, 'decided within the panic window (+ one tick)').to.be.at.most(600 + TICK);
    expect(up?.reason).to.match(/^panic: waiting .* asks for 3 replicas/);
    expect(up?.inputs.waiting.panicAverage).to.be.above(20);

    await sleep(3200); // fill the stable window at 30 waiting
    expect(await replicas('step')).to.equal(3);
    const removedAt = Date.now();
    level = 0;
    let downAt = 0;
    await until('scale-down to 1', async () => {
      const r = await replicas('step');
      if (r !== undefined && r < 3 && downAt === 0) downAt = Date.now();
      return r === 1;
    }, 10_000);
    expect(downAt - removedAt, 'scale-down waited a stable window').to.be.at.least(3000);
    const all = await decisions('step');
    const down = all.find((d) => d.valid && d.desiredReplicas < d.currentReplicas);
    expect(down?.mode).to.equal('stable');
    expect(down?.reason).to.match(/^(left panic mode; )?scale down:/);
    const ticks = all.map((d) => d.tickStartMs);
    expect(new Set(ticks).size, 'one decision per tick').to.equal(ticks.length);
    const st = await until('status 1/1', async () => {
      const v = await readAutoscalerStatus(status, 'default', 'step');
      return v?.currentReplicas === 1 && v.desiredReplicas === 1 ? v : null;
    });
    expect(st).to.include({ valid: true, mode: 'stable', binding: 'step', policy: 'fast' });
    // The binding's status as `mi get autoscalingpolicybindings` shows it (CURRENT, DESIRED, PANIC, STATUS).
    // Written by its own put after the autoscaler key: wait for it rather than read it once.
    type BindingStatus = { currentReplicas: number; desiredReplicas: number; panicMode: boolean; lastScaleTime: string; conditions: { type: string; status: string }[] };
    const bs = await until('binding status 1/1', async () => {
      const v = (await status.get('autoscalingpolicybinding.default.step'))?.json<BindingStatus>();
      return v?.currentReplicas === 1 && v.desiredReplicas === 1 ? v : null;
    });
    expect(bs).to.deep.include({ currentReplicas: 1, desiredReplicas: 1, panicMode: false });
    expect(bs.conditions[0]).to.include({ type: 'Active', status: 'True' });
    expect(Date.parse(bs.lastScaleTime)).to.be.at.least(downAt - 1000);
    loads.delete('step');
  });

  it('noisy steady load: no change', async () => {
    await store.apply(modelInfer('noisy', 2));
    await store.apply(binding('noisy', 1, 10));
    const r = rng(7);
    loads.set('noisy', () => 20 + (r() * 6 - 3));
    await sleep(1000);
    running.push(await startAutoscaler({ nc, logger, tickMs: TICK, ensure: false }));
    const before = await revision('noisy');
    await sleep(4000);
    expect(await revision('noisy'), 'ModelInfer untouched').to.equal(before);
    const ds = await decisions('noisy');
    expect(ds.length).to.be.greaterThan(0);
    for (const d of ds) expect(d).to.include({ valid: true, desiredReplicas: 2, currentReplicas: 2, mode: 'stable' });
    loads.delete('noisy');
  });

  it('gateway demand on a zero-replica target scales it from zero at once', async () => {
    await store.apply(modelInfer('zero', 0));
    await store.apply(binding('zero', 0, 3));
    await store.apply({
      apiVersion: 'networking.matrixinfer.ai/v1alpha1',
      kind: 'ModelServer',
      metadata: { name: 'zero', namespace: 'default' },
      spec: { model: 'm0', inferenceEngine: 'vLLM', workloadSelector: { matchLabels: { 'modelinfer.matrixinfer.ai/name': 'zero' } }, workloadPort: { port: 8000 } },
    });
    await store.apply({
      apiVersion: 'networking.matrixinfer.ai/v1alpha1',
      kind: 'ModelRoute',
      metadata: { name: 'm0', namespace: 'default' },
      spec: { modelName: 'm0', rules: [{ name: 'default', targetModels: [{ modelServerName: 'zero', weight: 100 }] }] },
    });
    running.push(await startAutoscaler({ nc, logger, tickMs: TICK, ensure: false }));
    await sleep(2 * TICK);
    expect(await replicas('zero')).to.equal(0);
    const g: GatewaySample = { gateway: 'gw-1', model: 'm0', timeMs: Date.now(), inFlight: 0, requestsPerSecond: 0, inputTokensPerSecond: 0, outputTokensPerSecond: 0, held: 5 };
    const heldAt = Date.now();
    await js.publish(metricsSubject('gateway', 'default', 'm0'), JSON.stringify(g));
    await until('scale from zero', async () => (await replicas('zero')) === 1, 3000);
    expect(Date.now() - heldAt).to.be.below(3 * TICK + 300);
    const d = (await decisions('zero')).find((x) => x.desiredReplicas === 1);
    expect(d?.reason).to.match(/^scale from zero: 5 request\(s\) held by gateways/);
    expect(d?.demand).to.equal(5);
  });

  it('optimizer binding: the summed load is split over the ModelInfers by cost, each written', async () => {
    await store.apply(modelInfer('opt-a', 1));
    await store.apply(modelInfer('opt-b', 0));
    await store.apply({
      apiVersion: 'registry.matrixinfer.ai/v1alpha1',
      kind: 'AutoscalingPolicyBinding',
      metadata: { name: 'opt', namespace: 'default' },
      spec: {
        policyRef: { name: 'fast' },
        optimizerConfiguration: {
          params: [
            { target: { targetRef: { kind: 'ModelInfer', name: 'opt-a' } }, cost: 10, minReplicas: 1, maxReplicas: 2 },
            { target: { targetRef: { kind: 'ModelInfer', name: 'opt-b' } }, cost: 40, maxReplicas: 4 },
          ],
        },
      },
    });
    loads.set('opt-a', () => 40);
    running.push(await startAutoscaler({ nc, logger, tickMs: TICK, ensure: false }));
    await until('split 2 + 2', async () => (await replicas('opt-a')) === 2 && (await replicas('opt-b')) === 2, 8000);
    const d = (await decisions('opt')).find((x) => x.valid && x.desiredReplicas === 4);
    expect(d?.reason).to.match(/split: 4 replicas by cost: opt-a=2, opt-b=2/);
    expect(d?.replicas).to.deep.equal({ 'opt-a': { current: 1, desired: 2 }, 'opt-b': { current: 0, desired: 2 } });
    const member = await until('member status', async () => readAutoscalerStatus(status, 'default', 'opt-b'));
    expect(member.binding).to.equal('opt');
    loads.delete('opt-a');
  });

  it('budget that pays for 3 replicas under load that wants 5: 3 replicas, a BudgetLimited condition, decisions that say so', async () => {
    await store.apply(modelInfer('budget', 1));
    await store.apply({
      apiVersion: 'registry.matrixinfer.ai/v1alpha1',
      kind: 'AutoscalingPolicyBinding',
      metadata: { name: 'budget', namespace: 'default' },
      spec: {
        policyRef: { name: 'fast' },
        budget: { maxCostPerHour: 30 },
        optimizerConfiguration: { params: [{ target: { targetRef: { kind: 'ModelInfer', name: 'budget' } }, cost: 10, minReplicas: 1, maxReplicas: 8 }] },
      },
    });
    loads.set('budget', () => 50); // 50 waiting at 10 per replica: 5 replicas
    running.push(await startAutoscaler({ nc, logger, tickMs: TICK, ensure: false }));
    await until('scale-up to 3', async () => (await replicas('budget')) === 3, 8000);
    await sleep(1500); // the load still asks for 5: the count must stay at 3
    expect(await replicas('budget')).to.equal(3);
    const limited = (await decisions('budget')).filter((d) => d.valid && d.budget?.limited);
    expect(limited.length).to.be.greaterThan(0);
    expect(limited[limited.length - 1].budget).to.deep.equal({ maxCostPerHour: 30, costPerHour: 30, wantedReplicas: 5, affordableReplicas: 3, limited: true });
    expect(limited[limited.length - 1].reason).to.match(/budget: the load asks for 5 replicas, 30\/h pays for 3/);
    type Cond = { type: string; status: string; reason: string; message: string };
    const cond = await until('BudgetLimited condition', async () =>
      (await status.get('autoscalingpolicybinding.default.budget'))?.json<{ conditions: Cond[] }>().conditions.find((c) => c.type === 'BudgetLimited' && c.status === 'True'),
    );
    expect(cond).to.include({ reason: 'OverBudget', message: 'the load asks for 5 replicas; the budget of 30/h pays for 3 (now 30/h)' });
    loads.delete('budget');
  });

  it('restart rebuilds the windows from MI_METRICS: the first decision uses pre-restart samples', async () => {
    await store.apply(modelInfer('restart', 3));
    await store.apply(binding('restart', 1, 10));
    const before = await startAutoscaler({ nc, logger, tickMs: TICK, ensure: false });
    loads.set('restart', () => 30);
    await sleep(2000);
    loads.delete('restart');
    await before.stop();
    await sleep(400); // past the staleness bound below: no current sample at the next tick
    const restartedAt = Date.now();
    const after = await startAutoscaler({ nc, logger, tickMs: TICK, staleMs: 300, ensure: false });
    running.push(after);
    await after.tick();
    const d = (await decisions('restart')).find((x) => x.tickStartMs >= restartedAt - TICK);
    expect(d, 'a decision after the restart').to.not.equal(undefined);
    expect(d!.valid, d!.reason).to.equal(true);
    expect(d!.inputs.waiting.stableAverage).to.be.closeTo(30, 0.01);
    expect(d!.desiredReplicas).to.equal(3);
  });

  it('a policy metric no endpoint exposes: the binding status says UnknownMetric naming it at the first tick with samples', async () => {
    await store.apply({ ...policy('ghost'), spec: { metrics: [{ metricName: 'vllm:no_such_metric', targetValue: 5 }] } });
    await store.apply(modelInfer('ghost', 2));
    await store.apply({ ...binding('ghost', 1, 5), spec: { policyRef: { name: 'ghost' }, scalingConfiguration: { target: { targetRef: { kind: 'ModelInfer', name: 'ghost' } }, minReplicas: 1, maxReplicas: 5 } } });
    const a = await startAutoscaler({ nc, logger, tickMs: TICK, ensure: false });
    running.push(a);
    // The engine reports other families (its custom values), never the policy's.
    const s: EngineSample = { ...engineSample('ghost', 1), custom: { 'vllm:num_requests_waiting': 1 } };
    await js.publish(metricsSubject('engine', 'default', s.endpoint), JSON.stringify(s));
    const publishedAt = Date.now();
    const st = await until('UnknownMetric binding status', async () => {
      const e = await status.get('autoscalingpolicybinding.default.ghost');
      if (!e || e.length === 0) return undefined;
      const v = e.json<{ conditions: { type: string; status: string; reason: string; message: string }[] }>();
      return v.conditions.some((c) => c.reason === 'UnknownMetric') ? v : undefined;
    });
    // One sample, so the condition came from the next tick (well within one 1 s scrape interval).
    expect(Date.now() - publishedAt).to.be.below(1000 + TICK);
    const active = st.conditions.find((c) => c.type === 'Active')!;
    expect(active).to.include({ status: 'False', reason: 'UnknownMetric' });
    expect(active.message).to.contain('vllm:no_such_metric');
    expect(st.conditions.find((c) => c.type === 'MetricsAvailable')).to.include({ status: 'False', reason: 'UnknownMetric' });
    expect(await replicas('ghost')).to.equal(2); // nothing applied
  });
});

describe('autoscaler/bindingStatus', () => {
  const base: AutoscalerDecisionData = {
    namespace: 'default', name: 'm', binding: 'b', policy: 'p', tickStartMs: 0, valid: true, mode: 'stable',
    currentReplicas: 2, desiredReplicas: 2, reason: 'stable: ok', inputs: {}, values: {}, demand: 0, replicas: { m: { current: 2, desired: 2 } },
  };
  const cases: { name: string; data: Partial<AutoscalerDecisionData>; expect: { type: string; status: string; reason: string; message?: string }[] }[] = [
    { name: 'valid stable', data: {}, expect: [{ type: 'Active', status: 'True', reason: 'Stable' }] },
    { name: 'valid panic', data: { mode: 'panic' }, expect: [{ type: 'Active', status: 'True', reason: 'Panic' }] },
    { name: 'no data', data: { valid: false, invalidReason: 'no-data', reason: 'no-data: nothing' }, expect: [{ type: 'Active', status: 'False', reason: 'NoData' }] },
    {
      name: 'unknown metric alone',
      data: { valid: false, invalidReason: 'unknown-metric', reason: 'unknown-metric: metric(s) DCGM_X not exposed by any endpoint of the target', unknownMetrics: ['DCGM_X'] },
      expect: [
        { type: 'Active', status: 'False', reason: 'UnknownMetric', message: 'unknown-metric: metric(s) DCGM_X not exposed by any endpoint of the target' },
        { type: 'MetricsAvailable', status: 'False', reason: 'UnknownMetric', message: 'metric(s) DCGM_X not exposed by any endpoint of the target' },
      ],
    },
    {
      name: 'unknown metric next to one that decides',
      data: { unknownMetrics: ['a', 'b'] },
      expect: [
        { type: 'Active', status: 'True', reason: 'Stable' },
        { type: 'MetricsAvailable', status: 'False', reason: 'UnknownMetric', message: 'metric(s) a, b not exposed by any endpoint of the target' },
      ],
    },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const st = bindingStatus({ ...base, ...tc.data } as AutoscalerDecisionData, '2026-01-01T00:00:00.000Z', undefined) as { conditions: Record<string, string>[] };
      expect(st.conditions).to.have.length(tc.expect.length);
      tc.expect.forEach((want, i) => expect(st.conditions[i]).to.include(want));
    });
  }
});
