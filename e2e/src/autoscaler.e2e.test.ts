// The autoscaler end to end: the control plane composition (controllers, projector,
// autoscaler, local actuator, collector) with simulator replicas and a gateway process, load
// generated through the gateway. A Model backend names a policy that scales on gateway
// in-flight requests (2 per replica), with short windows (stable 6 s, panic 1.5 s) and a
// 500 ms tick so the test takes well under a minute. A second Model at zero replicas gets a
// burst of 50 requests, which the gateway holds until the autoscaler has woken it.
import { expect } from 'chai';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { AutoscalerDecisionData } from '@matrixinfer/control-plane';
import { decisionSubject, type ResourceStore } from '@matrixinfer/events';
import type { ModelInfer } from '@matrixinfer/schemas';
import { ClosedLoopLoad } from './autoscaler-load.js';
import { startAutoscaledSystem, type AutoscaledSystem } from './support/autoscaled.js';
import { autoscaledSimModel, inflightPolicy } from './support/manifests.js';
import { miOk } from './support/mi.js';
import { entryEndpoints, readRoute, readStream } from './support/nats.js';
import { waitFor } from './support/poll.js';

const MODEL = 'e2e-scale';
const INFER = `${MODEL}-sim`;
const TICK_MS = 500;
const STABLE_MS = 6000;
const PANIC_MS = 1500;

describe('autoscaler end to end (simulator replicas, gateway load)', function () {
  this.timeout(120_000);
  let sys: AutoscaledSystem;
  let gw: AutoscaledSystem['gw'];
  let nc: NatsConnection;
  let kv: KV;
  let store: ResourceStore;
  let server: AutoscaledSystem['server'];
  let load: ClosedLoopLoad | undefined;

  const replicas = () => sys.replicas(INFER);
  const ready = async () => entryEndpoints(await readRoute(kv, MODEL)).length;
  const decisions = () => sys.decisions(INFER);

  before(async function () {
    this.timeout(90_000);
    sys = await startAutoscaledSystem('autoscaler', TICK_MS);
    ({ gw, nc, kv, store, server } = sys);
    await store.apply(inflightPolicy({ name: 'inflight', target: 2, stableWindow: `${STABLE_MS}ms`, panicWindowPercent: String((PANIC_MS / STABLE_MS) * 100) }));
    await store.apply(autoscaledSimModel({ name: MODEL, policy: 'inflight', minReplicas: 1, maxReplicas: 4, itlMs: 20 }));
    await waitFor('one ready replica routed', async () => (await ready()) === 1 || undefined, { timeoutMs: 60_000 });
  });

  after(async function () {
    this.timeout(60_000);
    await load?.stop();
    await sys?.stop();
  });

  it('a model at zero replicas: a burst of 50 requests is held by the gateway and all complete once it has scaled from zero', async () => {
    const model = 'e2e-zero';
    await store.apply(autoscaledSimModel({ name: model, policy: 'inflight', minReplicas: 0, maxReplicas: 2 }));
    await waitFor('routed with no endpoint', async () => {
      const entry = await readRoute(kv, model);
      return (entry !== null && entryEndpoints(entry).length === 0) || undefined;
    }, { timeoutMs: 30_000 });
    const zeroInfer = `${model}-sim`;
    expect(((await store.get('ModelInfer', 'default', zeroInfer))?.spec as ModelInfer['spec']).replicas).to.equal(0);
    const statuses = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const res = await fetch(`${gw.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, prompt: 'hi', max_tokens: 4 }) });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(statuses.filter((c) => c === 200).length, `statuses ${statuses.join(',')}`).to.equal(50);
    const woke = (await readStream<AutoscalerDecisionData>(nc, 'decisions', decisionSubject('autoscaler', 'default', zeroInfer))).map((e) => e.envelope.data).find((d) => d.currentReplicas === 0 && d.desiredReplicas > 0);
    expect(woke?.reason).to.match(/^scale from zero: \d+ request\(s\) held by gateways/);
  });

  it('2.5x load step: panic scale-up within the panic window, replicas ready, no flapping under steady load, scale-down only after the stable window', async () => {
    // 120 tokens at 20 ms each: 2.4 s per request, so client-side gaps barely lower the in-flight signal.
    load = new ClosedLoopLoad(gw.url, MODEL, 120);
    load.set(2); // 2 in flight: 1 replica at target
    await new Promise((r) => setTimeout(r, STABLE_MS));
    expect(await replicas(), 'baseline').to.equal(1);

    const stepAt = Date.now();
    // 2.5x: asks for 3 replicas (ceil(5 / 2)) with a margin on both sides, so a noisy sample
    // (anything in 4 < in-flight <= 6) still asks for 3: 6 would sit on the 3-to-4 boundary.
    load.set(5);
    await waitFor('scale-up decision', async () => ((await replicas()) ?? 0) > 1 || undefined, { timeoutMs: 15_000, everyMs: 50 });
    const reactionMs = Date.now() - stepAt;
    // Panic window + one gateway sample period + two ticks.
    expect(reactionMs, 'reaction to the step').to.be.below(PANIC_MS + 1000 + 2 * TICK_MS + 1000);
    const up = (await decisions()).find((d) => d.valid && d.desiredReplicas > d.currentReplicas);
    expect(up?.mode).to.equal('panic');
    expect(up?.reason).to.match(/^panic: inFlight/);
    await waitFor('3 replicas ready and routed', async () => (await ready()) === 3 || undefined, { timeoutMs: 60_000 });
    expect(await replicas()).to.equal(3);
    // `mi get` shows desired vs current and the mode (the binding's status from the autoscaler).
    // The status is written with the next published decision (a change or a heartbeat), so
    // CURRENT may still show the count of the scale-up decision itself for a few ticks.
    const row = new RegExp(`${INFER}\\s+3\\s+3\\s+(yes|no)\\s+Active`);
    let table = '';
    await waitFor(
      '`mi get` to show 3 current and 3 desired',
      async () => {
        table = await miOk(server.url, ['get', 'autoscalingpolicybindings', INFER]);
        return row.test(table) || undefined;
      },
      { timeoutMs: 30_000, everyMs: 500, describe: () => table },
    );
    expect(table).to.match(/NAME\s+CURRENT\s+DESIRED\s+PANIC\s+STATUS/);

    // Steady (noisy: requests end and start) load for a stable window: at most one change.
    const steadyFrom = Date.now();
    await new Promise((r) => setTimeout(r, STABLE_MS));
    const changes = (await decisions()).filter((d) => d.tickStartMs >= steadyFrom && d.valid && d.desiredReplicas !== d.currentReplicas);
    expect(changes.length, `changes under steady load: ${JSON.stringify(changes.map((d) => [d.currentReplicas, d.desiredReplicas, d.reason]))}`).to.be.at.most(1);

    const removedAt = Date.now();
    await load.stop();
    let firstDownAt = 0;
    await waitFor(
      'scale-down to 1',
      async () => {
        const r = (await replicas()) ?? 0;
        if (r < 3 && firstDownAt === 0) firstDownAt = Date.now();
        return r === 1 || undefined;
      },
      { timeoutMs: 40_000, everyMs: 100 },
    );
    expect(firstDownAt - removedAt, 'scale-down waited the stable window').to.be.at.least(STABLE_MS);
    await waitFor('1 replica routed', async () => (await ready()) === 1 || undefined, { timeoutMs: 30_000 });
    expect(load.failed, 'failed requests').to.equal(0);
    expect(load.completed).to.be.greaterThan(0);
  });
});
