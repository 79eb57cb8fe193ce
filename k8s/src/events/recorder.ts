// The Kubernetes Events recorder: follows MI_DECISIONS from now on and records each decision a
// person should see (plan.ts) as a core/v1 Event on the object it concerns, so `kubectl
// describe modelinfer/x` tells the recovery, rollout and scaling story next to the object.
// Best effort, as Kubernetes Events are: a failed write is logged, never retried forever.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { STREAMS, decodeEvent, startResumableTail } from '@matrixinfer/events';
import { KINDS } from '@matrixinfer/schemas';
import type { Logger } from 'winston';
import { randomUUID } from 'node:crypto';
import { apiStatusOf } from '../actuator/errors.js';
import { eventsFor, type EventPlan } from './plan.js';

export interface EventRecorderOptions {
  nc: NatsConnection;
  kubeConfig: KubeConfig;
  logger: Logger;
  namespace?: string;
  now?: () => number;
}

/** A running recorder. */
export interface EventRecorder {
  /** Events written so far. */
  recorded(): number;
  stop(): Promise<void>;
}

/** Starts recording. */
export async function startEventRecorder(o: EventRecorderOptions): Promise<EventRecorder> {
  const log = o.logger.child({ component: 'k8s-events' });
  const core = o.kubeConfig.makeApiClient(CoreV1Api);
  const custom = o.kubeConfig.makeApiClient(CustomObjectsApi);
  const now = o.now ?? Date.now;
  let recorded = 0;

  async function record(p: EventPlan): Promise<void> {
    const info = KINDS.find((k) => k.kind === p.kind)!;
    let uid: string | undefined;
    try {
      const obj = (await custom.getNamespacedCustomObject({ group: info.group, version: info.version, plural: info.plural, namespace: p.namespace, name: p.name })) as { metadata?: { uid?: string } };
      uid = obj.metadata?.uid;
    } catch (err) {
      // Not in Kubernetes (embedded-only, or already gone): nothing to describe.
      if (apiStatusOf(err) === 404) return;
      throw err;
    }
    const t = new Date(now());
    await core.createNamespacedEvent({
      namespace: p.namespace,
      body: {
        metadata: { name: `${p.name}.${randomUUID().slice(0, 13).replace('-', '')}`, namespace: p.namespace },
        involvedObject: { apiVersion: info.apiVersion, kind: p.kind, name: p.name, namespace: p.namespace, uid },
        reason: p.reason,
        message: p.message,
        type: p.type,
        source: { component: 'matrixinfer-controller' },
        reportingComponent: 'matrixinfer-controller',
        reportingInstance: 'matrixinfer-controller',
        firstTimestamp: t,
        lastTimestamp: t,
        count: 1,
      },
    });
    recorded++;
  }

  const tail = await startResumableTail({
    js: jetstream(o.nc),
    stream: STREAMS.decisions,
    filter: 'mi.decisions.>',
    from: 'new',
    onMessage: async (m) => {
      for (const p of eventsFor(decodeEvent(m.data))) {
        if (o.namespace !== undefined && p.namespace !== o.namespace) continue;
        await record(p).catch((err: Error) => log.warn('could not record an event', { kind: p.kind, name: `${p.namespace}/${p.name}`, reason: p.reason, error: err.message, status: apiStatusOf(err) }));
      }
    },
    onError: (m, err) => log.warn('skipped a decision that could not be decoded', { subject: m.subject, seq: m.seq, error: (err as Error).message }),
  });
  return {
    recorded: () => recorded,
    stop: () => tail.stop(),
  };
}
