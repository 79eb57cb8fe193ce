// `mi events` against a real nats-server: merged streams, filters, --since, JSON lines.
import { expect } from 'chai';
import { jetstream } from '@nats-io/jetstream';
import { connectNats, decisionSubject, makeEvent, metricsSubject, publishEvent } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { runMi } from '../mi.js';
import { captureIO } from '../testing.js';
import { planStreams } from './events.js';
import { subjectMatches } from '../event-lines.js';

const model = (name: string) => `apiVersion: registry.matrixinfer.ai/v1alpha1
kind: Model
metadata: { name: ${name} }
spec:
  backends: [{ name: sim, type: vLLM, modelURI: hf://org/m, maxReplicas: 2, workers: [{ type: server }] }]
`;

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('mi events (real nats-server)', function () {
  this.timeout(20_000);
  let server: TestNatsServer;
  const mi = async (args: string[], stdinText?: string) => {
    const c = captureIO({ stdinText });
    const code = await runMi(['--nats-url', server.url, ...args], c.io);
    return { code, out: c.out, err: c.err };
  };

  before(async () => {
    server = await startNatsServer();
    expect((await mi(['apply', '-f', '-'], model('llama'))).code).to.equal(0);
    const nc = await connectNats({ url: server.url, name: 'events-test' });
    try {
      const subject = decisionSubject('autoscaler', 'default', 'llama-sim');
      await publishEvent(jetstream(nc), subject, makeEvent('autoscaler.scale', 'test', subject, { from: 2, to: 3, reason: 'load 2.4 per replica above target 1.5' }));
      // Metric samples are published bare (no envelope), as the collector does.
      await jetstream(nc).publish(metricsSubject('engine', 'default', 'llama-sim-0'), JSON.stringify({ endpoint: 'llama-sim-0', running: 3, waiting: 1, kvUsage: 0.25 }));
    } finally {
      await nc.close();
    }
  });
  after(async () => {
    await server?.close();
  });

  it('merges desired and decisions by time, one readable line each', async () => {
    const r = await mi(['events']);
    expect(r.code).to.equal(0);
    expect(r.out).to.have.length(2);
    expect(r.out[0]).to.match(/^\d{4}-\d\d-\d\dT\S+Z {2}mi\.desired\.model\.default\.llama {2}resource\.applied {2}Model\/llama generation 1$/);
    expect(r.out[1]).to.match(/ {2}mi\.decisions\.autoscaler\.default\.llama-sim {2}autoscaler\.scale {2}load 2\.4 per replica above target 1\.5$/);
  });

  it('filters by stream and subject; -o json prints one envelope per line', async () => {
    const d = await mi(['events', '--stream', 'decisions', '-o', 'json']);
    expect(d.out).to.have.length(1);
    const ev = JSON.parse(d.out[0]);
    expect(ev).to.include({ stream: 'MI_DECISIONS', type: 'autoscaler.scale', subject: 'mi.decisions.autoscaler.default.llama-sim' });
    expect(ev.data.to).to.equal(3);
    const wide = await mi(['events', '--subject', 'mi.*.model.>']);
    expect(wide.out).to.have.length(1);
    expect(wide.out[0]).to.contain('mi.desired.model.default.llama');
  });

  it('shows bare metric samples of the metrics stream', async () => {
    const r = await mi(['events', '--stream', 'metrics']);
    expect(r.out).to.have.length(1);
    expect(r.out[0]).to.match(/ {2}mi\.metrics\.engine\.default\.llama-sim-0 {2}metrics\.engine {2}llama-sim-0 running 3 waiting 1 kv 25%$/);
  });

  it('--since a future time shows nothing; a bad --since is rejected', async () => {
    expect((await mi(['events', '--since', '2999-01-01T00:00:00Z'])).out).to.deep.equal([]);
    const bad = await mi(['events', '--since', 'yesterdayish']);
    expect(bad.code).to.equal(1);
    expect(bad.err[0]).to.match(/cannot read "yesterdayish" as a time/);
  });

  it('--follow prints what was there, then new events as they come, until stopped', async () => {
    const stop = new AbortController();
    const c = captureIO({ stop: stop.signal });
    const run = runMi(['--nats-url', server.url, 'events', '--stream', 'decisions', '--follow'], c.io);
    try {
      await until(() => c.out.length === 1);
      const nc = await connectNats({ url: server.url, name: 'events-follow' });
      try {
        const subject = decisionSubject('infer', 'default', 'llama-sim');
        await publishEvent(jetstream(nc), subject, makeEvent('workload.instances', 'test', subject, { reason: 'rolling update: replace group 1' }));
      } finally {
        await nc.close();
      }
      await until(() => c.out.length === 2);
      expect(c.out[1]).to.match(/mi\.decisions\.infer\.default\.llama-sim {2}workload\.instances {2}rolling update: replace group 1$/);
    } finally {
      stop.abort();
      expect(await run).to.equal(0);
    }
  });

  it('plans streams from a subject filter', () => {
    expect(planStreams(undefined, 'mi.decisions.>')).to.deep.equal([{ key: 'decisions', filter: 'mi.decisions.>' }]);
    expect(planStreams('metrics', undefined)).to.deep.equal([{ key: 'metrics' }]);
    expect(() => planStreams('desired', 'mi.decisions.>')).to.throw(/not on stream desired/);
    expect(subjectMatches('mi.*.model.>', 'mi.observed.model.ns.x.y')).to.equal(true);
    expect(subjectMatches('mi.*.model.*', 'mi.observed.model')).to.equal(false);
  });
});
