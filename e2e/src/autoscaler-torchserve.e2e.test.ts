// Issue 21 acceptance: the autoscaler scales a TorchServe backend on TorchServe's own metrics.
// The collector derives `running` from ts_inference_latency_microseconds and
// ts_queue_latency_microseconds (Little's law between scrapes); a policy of 2 running requests
// per replica sees a 3x load step through the gateway (2 -> 6 clients) and scales 1 -> 3.
import { expect } from 'chai';
import type { KV } from '@nats-io/kv';
import type { ResourceInput, ResourceStore } from '@matrixinfer/events';
import { ClosedLoopLoad } from './autoscaler-load.js';
import { startAutoscaledSystem, type AutoscaledSystem } from './support/autoscaled.js';
import { entryEndpoints, readRoute } from './support/nats.js';
import { waitFor } from './support/poll.js';

const MODEL = 'e2e-ts-scale';
const INFER = `${MODEL}-sim`;
const TICK_MS = 500;

function policy(): ResourceInput {
  return {
    apiVersion: 'registry.matrixinfer.ai/v1alpha1',
    kind: 'AutoscalingPolicy',
    metadata: { name: 'ts-running', namespace: 'default', annotations: { 'autoscaling.matrixinfer.ai/stable-window': '6s', 'autoscaling.matrixinfer.ai/panic-window-percent': '50' } },
    spec: { metrics: [{ metricName: 'running', targetValue: 2 }], behavior: { scaleDown: { percent: 100, period: '1s' } } },
  };
}

function model(): ResourceInput {
  return {
    apiVersion: 'registry.matrixinfer.ai/v1alpha1',
    kind: 'Model',
    metadata: { name: MODEL, namespace: 'default' },
    spec: {
      name: MODEL,
      backends: [{
        name: 'sim', type: 'TorchServe', modelURI: 's3://e2e/store', minReplicas: 1, maxReplicas: 4, autoscalingPolicyRef: 'ts-running',
        workers: [{ type: 'server', replicas: 1, config: { profile: 'cpu-small', 'itl-ms': 10 } }],
      }],
    },
  };
}

describe('autoscaler end to end on TorchServe metrics (simulator in torchserve mode, gateway load)', function () {
  this.timeout(120_000);
  let sys: AutoscaledSystem;
  let kv: KV;
  let store: ResourceStore;
  let load: ClosedLoopLoad | undefined;
  const ready = async () => entryEndpoints(await readRoute(kv, MODEL)).length;

  before(async function () {
    this.timeout(90_000);
    sys = await startAutoscaledSystem('autoscaler-ts', TICK_MS);
    ({ kv, store } = sys);
    await store.apply(policy());
    await store.apply(model());
    await waitFor('one ready TorchServe replica routed', async () => (await ready()) === 1 || undefined, { timeoutMs: 60_000 });
  });
  after(async function () {
    this.timeout(60_000);
    await load?.stop();
    await sys?.stop();
  });

  it('3x load step: scales up to 3 replicas on the running requests derived from ts_* counters', async () => {
    // 40 tokens at 10 ms: 0.4 s per request, several completions per scrape interval.
    load = new ClosedLoopLoad(sys.gw.url, MODEL, 40);
    load.set(2);
    await new Promise((r) => setTimeout(r, 6000));
    expect(await sys.replicas(INFER), 'baseline').to.equal(1);
    expect(load.completed, 'requests completed at baseline').to.be.greaterThan(5);
    load.set(6);
    await waitFor('scale-up to 3', async () => ((await sys.replicas(INFER)) ?? 0) >= 3 || undefined, { timeoutMs: 30_000, everyMs: 100, describe: async () => JSON.stringify((await sys.decisions(INFER)).slice(-2)) });
    const up = (await sys.decisions(INFER)).find((d) => d.valid && d.desiredReplicas > d.currentReplicas);
    expect(up?.reason).to.match(/running/);
    await waitFor('3 replicas routed', async () => (await ready()) >= 3 || undefined, { timeoutMs: 60_000 });
    await load.stop();
    expect(load.failed, `failures ${JSON.stringify([...load.failures])}`).to.equal(0);
  });
});
