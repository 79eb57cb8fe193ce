import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import winston from 'winston';
import { AUTOSCALER_DECISION } from '@matrixinfer/control-plane';
import { decisionSubject, ensureStreams, makeEvent, publishEvent } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startScaleApplier, type ScaleApplier } from './applier.js';
import type { ReplicaApply } from './plan.js';

const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('scale applier (real nats-server, fake API)', () => {
  let server: TestNatsServer;
  let nc: NatsConnection;
  let applier: ScaleApplier | undefined;
  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    await ensureStreams(await jetstreamManager(nc));
  });
  afterEach(async () => applier?.stop());
  after(async () => {
    await nc?.close();
    await server?.stop();
  });

  async function publishDecision(name: string, current: number, desired: number, timeMs: number): Promise<void> {
    const subject = decisionSubject('autoscaler', 'ns', name);
    const data = { namespace: 'ns', name, binding: name, tickStartMs: timeMs, valid: true, currentReplicas: current, desiredReplicas: desired, reason: 'test', inputs: {}, values: {}, demand: 0, replicas: { [name]: { current, desired } } };
    await publishEvent(jetstream(nc), subject, makeEvent(AUTOSCALER_DECISION, 'autoscaler', subject, data, { now: () => timeMs }));
  }

  it('applies fresh decisions (read back at start and live), skips stale ones', async () => {
    const t0 = Date.now();
    await publishDecision('stale', 1, 5, t0 - 120_000);
    await publishDecision('fresh', 1, 2, t0);
    const applied: ReplicaApply[] = [];
    applier = await startScaleApplier({ nc, kubeConfig: new KubeConfig(), logger, apply: async (a) => void applied.push(a) });
    await applier.ready;
    await until(() => applied.length === 1);
    await publishDecision('live', 2, 4, Date.now());
    await until(() => applied.length === 2);
    expect(applied.map((a) => [a.name, a.replicas])).to.deep.equal([['fresh', 2], ['live', 4]]);
  });
});
