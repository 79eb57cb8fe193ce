// `mi top` against a real nats-server with published events: a Model applied, its status in
// mi-status, engine and gateway samples on MI_METRICS, decisions on MI_DECISIONS.
import { expect } from 'chai';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { BUCKETS, ENGINE_SAMPLE, GATEWAY_SAMPLE, connectNats, decisionSubject, encodeSample, ensureBuckets, makeEvent, metricsSubject, openKv, publishEvent, statusKey, type EngineSample, type GatewaySample } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { runMi } from '../mi.js';
import { captureIO } from '../testing.js';

const MODEL = `apiVersion: registry.matrixinfer.ai/v1alpha1
kind: Model
metadata: { name: llama }
spec:
  backends: [{ name: sim, type: vLLM, modelURI: hf://org/m, maxReplicas: 3, workers: [{ type: server }] }]
`;

describe('mi top (real nats-server)', function () {
  this.timeout(20_000);
  let server: TestNatsServer;
  const mi = async (args: string[], opts: { stdinText?: string; stop?: AbortSignal } = {}) => {
    const c = captureIO(opts);
    const code = await runMi(['--nats-url', server.url, ...args], c.io);
    return { code, out: c.out, err: c.err };
  };

  before(async () => {
    server = await startNatsServer();
    expect((await mi(['apply', '-f', '-'], { stdinText: MODEL })).code).to.equal(0);
    const nc = await connectNats({ url: server.url, name: 'top-test' });
    try {
      const js = jetstream(nc);
      await ensureBuckets(js, await jetstreamManager(nc));
      await (await openKv(js, BUCKETS.status)).put(statusKey('Model', 'default', 'llama'), JSON.stringify({ backendStatuses: [{ name: 'sim', replicas: 3, readyReplicas: 2 }] }));
      const now = Date.now();
      for (const [endpoint, running, waiting, kvUsage] of [['llama-sim-0', 5, 2, 0.5], ['llama-sim-1', 3, 0, 0.3]] as const) {
        const subject = metricsSubject('engine', 'default', endpoint);
        const s: EngineSample = { endpoint, address: 'http://127.0.0.1:1', modelServer: 'llama-sim', target: 'llama-sim', engine: 'vLLM', timeMs: now, running, waiting, kvUsage };
        await js.publish(subject, encodeSample(ENGINE_SAMPLE, 'collector', subject, s));
      }
      const gsub = metricsSubject('gateway', 'default', 'llama');
      const g: GatewaySample = { gateway: 'gw-1', model: 'llama', timeMs: now, inFlight: 7, requestsPerSecond: 4.5, inputTokensPerSecond: 0, outputTokensPerSecond: 0 };
      await js.publish(gsub, encodeSample(GATEWAY_SAMPLE, 'gateway/gw-1', gsub, g));
      for (let i = 0; i < 12; i++) {
        const subject = decisionSubject('autoscaler', 'default', 'llama-sim');
        await publishEvent(js, subject, makeEvent('autoscaler.scale', 'test', subject, { reason: `decision number ${i}` }));
      }
    } finally {
      await nc.close();
    }
  });
  after(async () => {
    await server?.close();
  });

  it('--once prints one frame: replicas ready/desired, load from the samples, the last 10 decisions', async () => {
    const r = await mi(['top', '--once']);
    expect(r.code, r.err.join('\n')).to.equal(0);
    const text = r.out.join('\n');
    const row = r.out.find((l) => l.startsWith('llama'))!;
    expect(row.split(/\s+/)).to.deep.equal(['llama', 'sim', '2/3', '8', '2', '40%', '7', '4.5']);
    const decisions = r.out.filter((l) => l.includes('autoscaler.scale'));
    expect(decisions).to.have.length(10);
    expect(decisions[0]).to.match(/decision number 2$/);
    expect(decisions[9]).to.match(/decision number 11$/);
    expect(text).to.not.contain('\x1b[');
  });

  it('without a TTY keeps printing whole frames every interval until stopped', async () => {
    const stop = new AbortController();
    const c = captureIO({ stop: stop.signal });
    const run = runMi(['--nats-url', server.url, 'top', '--interval', '0.05', '--decisions', '2'], c.io);
    const deadline = Date.now() + 10_000;
    while (c.out.filter((l) => l.startsWith('mi top ')).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    expect(await run).to.equal(0);
    expect(c.out.filter((l) => l.startsWith('mi top ')).length).to.be.at.least(3);
    expect(c.out.join('\n')).to.not.contain('\x1b[');
  });

  it('on a terminal each frame starts by clearing the screen', async () => {
    const stop = new AbortController();
    const c = captureIO({ stop: stop.signal });
    c.io.isTTY = true;
    const run = runMi(['--nats-url', server.url, 'top', '--interval', '0.05'], c.io);
    const deadline = Date.now() + 10_000;
    while (c.out.filter((l) => l.includes('mi top ')).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    expect(await run).to.equal(0);
    const frames = c.out.filter((l) => l.includes('mi top '));
    expect(frames.length).to.be.at.least(2);
    for (const f of frames) expect(f.startsWith('\x1b[H\x1b[2Jmi top ')).to.equal(true);
  });

  it('rejects a bad --interval', async () => {
    const r = await mi(['top', '--interval', '0']);
    expect(r.code).to.equal(1);
    expect(r.err.join('\n')).to.contain('not a positive number');
  });
});
