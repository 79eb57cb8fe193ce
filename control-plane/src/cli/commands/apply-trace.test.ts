// `mi apply` / `mi delete` put the command's trace context on their desired events (real nats-server).
import { expect } from 'chai';
import { jetstreamManager } from '@nats-io/jetstream';
import { STREAMS, connectNats, decodeEvent, parseTraceparent } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { runMi } from '../mi.js';
import { captureIO } from '../testing.js';

const MODEL = `apiVersion: registry.matrixinfer.ai/v1alpha1
kind: Model
metadata: { name: traced }
spec:
  backends: [{ name: sim, type: vLLM, modelURI: hf://org/m, maxReplicas: 1, workers: [{ type: server }] }]
`;

describe('mi apply/delete trace context (real nats-server)', function () {
  this.timeout(20_000);
  let server: TestNatsServer;
  before(async () => {
    server = await startNatsServer();
  });
  after(async () => {
    await server?.close();
  });

  async function events(): Promise<Array<{ type: string; traceparent?: string }>> {
    const nc = await connectNats({ url: server.url, name: 'apply-trace-test' });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(STREAMS.desired);
      const out: Array<{ type: string; traceparent?: string }> = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) out.push(decodeEvent((await jsm.streams.getMessage(STREAMS.desired, { seq }))!.data));
      return out;
    } finally {
      await nc.close();
    }
  }

  it('TRACEPARENT is carried by the apply; without it each command starts its own trace', async () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const a = captureIO({ stdinText: MODEL, env: { TRACEPARENT: tp } });
    expect(await runMi(['--nats-url', server.url, 'apply', '-f', '-'], a.io)).to.equal(0);
    const d = captureIO();
    expect(await runMi(['--nats-url', server.url, 'delete', 'model', 'traced'], d.io)).to.equal(0);
    const [applied, deleted] = await events();
    expect(applied).to.include({ type: 'resource.applied', traceparent: tp });
    expect(deleted.type).to.equal('resource.deleted');
    const fresh = parseTraceparent(deleted.traceparent);
    expect(fresh).to.not.equal(null);
    expect(fresh!.traceId).to.not.equal(parseTraceparent(tp)!.traceId);
  });
});
