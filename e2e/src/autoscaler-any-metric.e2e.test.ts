// A policy on an engine metric outside the built-in list, end to end: the simulator's
// `vllm:iteration_tokens_total` histogram (tokens per engine step), read by the collector as
// tokens per second, summed over the target's replicas by the autoscaler. A 3x load step must
// scale up soon after the signal crosses the panic threshold, and scale back down only after
// the stable window once the load is gone.
import { expect } from 'chai';
import type { AutoscalerDecisionData } from '@matrixinfer/control-plane';
import { SUBJECT_ROOT, type EngineSample } from '@matrixinfer/events';
import type { ResourceInput } from '@matrixinfer/events';
import { ClosedLoopLoad } from './autoscaler-load.js';
import { startAutoscaledSystem, type AutoscaledSystem } from './support/autoscaled.js';
import { autoscaledSimModel } from './support/manifests.js';
import { entryEndpoints, readRoute, readStream } from './support/nats.js';
import { waitFor } from './support/poll.js';

const MODEL = 'e2e-iter';
const INFER = `${MODEL}-sim`;
const METRIC = 'vllm:iteration_tokens_total';
const TICK_MS = 500;
const STABLE_MS = 6000;
const PANIC_PERCENT = 20; // of the stable window: 1.2 s
// One client streams about 70 tokens/s here (50 generated at 20 ms each, plus the steps' other
// tokens): 2 clients (about 140/s) ask for 1 replica, 6 (about 420/s) for 3.
const TARGET = 200;
const THRESHOLD_PERCENT = 200;

function tokensPolicy(): ResourceInput {
  return {
    apiVersion: 'registry.matrixinfer.ai/v1alpha1',
    kind: 'AutoscalingPolicy',
    metadata: {
      name: 'iter-tokens',
      namespace: 'default',
      annotations: { 'autoscaling.matrixinfer.ai/stable-window': `${STABLE_MS}ms`, 'autoscaling.matrixinfer.ai/panic-window-percent': String(PANIC_PERCENT) },
    },
    spec: {
      metrics: [{ metricName: METRIC, targetValue: TARGET }],
      behavior: { scaleUp: { panicPolicy: { panicModeHold: '2s', panicThresholdPercent: THRESHOLD_PERCENT } }, scaleDown: { percent: 100, period: '1s' } },
    },
  };
}

describe('autoscaler end to end: a policy on vllm:iteration_tokens_total', function () {
  this.timeout(150_000);
  let sys: AutoscaledSystem;
  let load: ClosedLoopLoad | undefined;
  const ready = async () => entryEndpoints(await readRoute(sys.kv, MODEL)).length;

  // Engine samples of the target since `fromMs`, as the collector published them.
  async function tokenSamples(fromMs: number): Promise<EngineSample[]> {
    const all = await readStream<EngineSample>(sys.nc, 'metrics', `${SUBJECT_ROOT}.metrics.engine.default.>`);
    return all.map((e) => e.envelope.data).filter((s) => s.target === INFER && s.timeMs >= fromMs && s.custom?.[METRIC] !== undefined);
  }

  before(async function () {
    this.timeout(90_000);
    sys = await startAutoscaledSystem('any-metric', TICK_MS);
    await sys.store.apply(tokensPolicy());
    await sys.store.apply(autoscaledSimModel({ name: MODEL, policy: 'iter-tokens', minReplicas: 1, maxReplicas: 4, itlMs: 20 }));
    await waitFor('one ready replica routed', async () => (await ready()) === 1 || undefined, { timeoutMs: 60_000 });
  });

  after(async function () {
    this.timeout(60_000);
    await load?.stop();
    await sys?.stop();
  });

  it('3x load step: panic scale-up within 2 s of the panic threshold, back down only after the stable window', async () => {
    load = new ClosedLoopLoad(sys.gw.url, MODEL, 120);
    load.set(2);
    await new Promise((r) => setTimeout(r, STABLE_MS));
    expect(await sys.replicas(INFER), 'baseline').to.equal(1);
    const base = (await sys.decisions(INFER)).filter((d) => d.valid).pop();
    expect(base?.inputs[`custom:${METRIC}`], 'the metric is read').to.not.equal(undefined);

    const stepAt = Date.now();
    load.set(6);
    await waitFor('scale-up', async () => ((await sys.replicas(INFER)) ?? 0) > 1 || undefined, { timeoutMs: 20_000, everyMs: 50 });
    const up = (await sys.decisions(INFER)).find((d): d is AutoscalerDecisionData => d.valid && d.tickStartMs >= stepAt && d.desiredReplicas > d.currentReplicas);
    expect(up?.mode, up?.reason).to.equal('panic');
    expect(up?.reason).to.match(new RegExp(`^panic: custom:${METRIC}`));
    // When the signal first reached the panic threshold. Panic compares the replicas asked for,
    // ceil(value / target), with threshold% of the current count (1 here): so the threshold in
    // tokens/s is crossed once ceil(value / TARGET) >= 2, that is once value > TARGET.
    const threshold = TARGET * (Math.ceil(THRESHOLD_PERCENT / 100) - 1);
    const crossing = (await tokenSamples(stepAt)).find((s) => (s.custom?.[METRIC] ?? 0) > threshold);
    expect(crossing, 'a sample over the panic threshold').to.not.equal(undefined);
    const lagMs = up!.tickStartMs - crossing!.timeMs;
    expect(lagMs, `scale-up decided ${lagMs} ms after the threshold was crossed`).to.be.at.most(2000);
    const inputs = up!.inputs[`custom:${METRIC}`];
    expect(inputs.target).to.equal(TARGET);
    expect(inputs.panicReplicas).to.be.at.least(2);

    await waitFor('replicas ready and routed', async () => (await ready()) === (await sys.replicas(INFER)) || undefined, { timeoutMs: 60_000 });
    const removedAt = Date.now();
    await load.stop();
    let firstDownAt = 0;
    await waitFor(
      'scale-down to 1',
      async () => {
        const r = (await sys.replicas(INFER)) ?? 0;
        if (r < (up?.desiredReplicas ?? 0) && firstDownAt === 0) firstDownAt = Date.now();
        return r === 1 || undefined;
      },
      { timeoutMs: 40_000, everyMs: 100 },
    );
    expect(firstDownAt - removedAt, 'scale-down waited the stable window').to.be.at.least(STABLE_MS);
    const down = (await sys.decisions(INFER)).find((d) => d.valid && d.tickStartMs >= removedAt && d.desiredReplicas < d.currentReplicas);
    expect(down?.mode).to.equal('stable');
    expect(load.failed, `failed requests: ${JSON.stringify([...load.failures])}`).to.equal(0);
  });
});
