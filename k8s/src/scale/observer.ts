// Reads the scale subresource of every bound workload that is not a ModelInfer (a Deployment, a
// StatefulSet, ...) every interval and publishes what changed on
// `mi.observed.scale.<ns>.<kind>.<name>`, so the autoscaler (which never talks to Kubernetes)
// knows their current count. The bindings are listed from the API server, the source of truth
// in this mode.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { SCALE_OBSERVED, makeEvent, publishEvent, scaleObservedSubject, scaleTargetKey, type ScaleObservation } from '@matrixinfer/events';
import { kindInfo } from '@matrixinfer/schemas';
import type { Logger } from 'winston';
import { InvalidK8sActuatorOptionError } from '../actuator/errors.js';
import { scaleApi, type ScaleApi } from './scale-api.js';
import { isNews, scaleTargetsOf } from './targets.js';

/** Options of startScaleObserver. */
export interface ScaleObserverOptions {
  nc: NatsConnection;
  kubeConfig: KubeConfig;
  logger: Logger;
  /** Only this namespace (default all). */
  namespace?: string;
  /** Poll interval; default 2000 ms (the autoscaler's tick). */
  intervalMs?: number;
  now?: () => number;
  /** Replaces the scale subresource client (tests). */
  scales?: ScaleApi;
}

/** A running scale observer. */
export interface ScaleObserver {
  /** Reads every target once now (the loop calls it each interval). */
  poll(): Promise<void>;
  stop(): Promise<void>;
}

const SOURCE = 'scale-observer';

/** Starts polling; the first poll runs before this resolves. */
export async function startScaleObserver(opts: ScaleObserverOptions): Promise<ScaleObserver> {
  const intervalMs = opts.intervalMs ?? 2000;
  if (!(intervalMs > 0)) throw new InvalidK8sActuatorOptionError(`intervalMs must be > 0, got ${intervalMs}`);
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ component: SOURCE });
  const js = jetstream(opts.nc);
  const scales = opts.scales ?? scaleApi(opts.kubeConfig);
  const custom = opts.kubeConfig.makeApiClient(CustomObjectsApi);
  const info = kindInfo('AutoscalingPolicyBinding')!;
  const last = new Map<string, ScaleObservation>();

  async function listBindings(): Promise<unknown[]> {
    const base = { group: info.group, version: info.version, plural: info.plural };
    const res = (opts.namespace === undefined ? await custom.listClusterCustomObject(base) : await custom.listNamespacedCustomObject({ ...base, namespace: opts.namespace })) as { items?: unknown[] };
    return res.items ?? [];
  }

  async function poll(): Promise<void> {
    const targets = scaleTargetsOf(await listBindings());
    for (const t of targets) {
      const o: ScaleObservation = { ...t, timeMs: now() };
      try {
        Object.assign(o, await scales.get(t.namespace, t));
      } catch (err) {
        o.error = (err as Error).message;
      }
      const key = scaleTargetKey(t.namespace, t.kind, t.name);
      if (!isNews(last.get(key), o)) continue;
      const subject = scaleObservedSubject(t.namespace, t.kind, t.name);
      await publishEvent(js, subject, makeEvent(SCALE_OBSERVED, SOURCE, subject, o, { now }));
      last.set(key, o);
      if (o.error) log.warn('scale target unreadable', { namespace: t.namespace, kind: t.kind, name: t.name, error: o.error });
      else log.info('scale observed', { namespace: t.namespace, kind: t.kind, name: t.name, specReplicas: o.specReplicas, statusReplicas: o.statusReplicas });
    }
  }

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const loop = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = poll()
        .catch((err: unknown) => void log.warn('scale poll failed; trying again next interval', { error: (err as Error).message }))
        .finally(loop);
    }, intervalMs);
  };
  await poll().catch((err: unknown) => void log.warn('first scale poll failed; trying again next interval', { error: (err as Error).message }));
  loop();
  return {
    poll,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
