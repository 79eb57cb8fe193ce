import { createRequire } from 'node:module';
import { expect } from 'chai';
import sinon from 'sinon';
import { EVENT_LOOP_SAMPLE_MS, GatewayMetrics } from './metrics.js';

// prom-client reaches perf_hooks through require(), so the spy goes on the CommonJS module object.
const perfHooks = createRequire(import.meta.url)('node:perf_hooks') as typeof import('node:perf_hooks');

describe('gateway metrics: Node.js process metrics', () => {
  afterEach(() => sinon.restore());

  it('samples event-loop lag every EVENT_LOOP_SAMPLE_MS, not every 10 ms, and still exports it', async () => {
    const spy = sinon.spy(perfHooks, 'monitorEventLoopDelay');
    const m = new GatewayMetrics(true);
    expect(spy.callCount).to.equal(1);
    expect(spy.firstCall.args[0]).to.deep.equal({ resolution: EVENT_LOOP_SAMPLE_MS });
    expect(EVENT_LOOP_SAMPLE_MS).to.equal(100);
    const text = await m.registry.metrics();
    expect(text).to.match(/^mi_gateway_nodejs_eventloop_lag_p99_seconds \S+$/m);
    expect(text).to.match(/^mi_gateway_process_cpu_seconds_total \S+$/m);
  });

  it('leaves process metrics out unless asked', async () => {
    const text = await new GatewayMetrics().registry.metrics();
    expect(text).not.to.include('nodejs_eventloop_lag');
  });
});
