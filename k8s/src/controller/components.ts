// Kubernetes mode as a list of control-plane parts: the same controllers, projector,
// autoscaler, collector and endpoint controller as the embedded default, with the local
// actuator replaced by the Kubernetes one, and the Kubernetes edges added: the ingest (CRDs →
// MI_DESIRED), the mirror (derived children → Kubernetes), the status write-back (mi-status →
// status subresources), the scale observer (bound Deployments' /scale → MI_OBSERVED) and the
// scale applier (autoscaler decisions → ModelInfer replicas or another kind's scale subresource).
// Only ingest and actuation differ from one machine, and where the collector reads replica
// CPU/memory: metrics.k8s.io PodMetrics instead of /proc.
import type { KubeConfig } from '@kubernetes/client-node';
import { defaultComponents, startCollector, type ComponentStarter } from '@matrixinfer/control-plane';
import { startK8sActuator } from '../actuator/actuator.js';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createResourceStore } from '@matrixinfer/events';
import { startFinalizer } from '../finalizer/runner.js';
import { INGEST_SOURCE, startIngest } from '../ingest/runner.js';
import { podMetricsSource } from '../metrics/pod-metrics.js';
import { startMirror } from '../mirror/runner.js';
import { startScaleApplier } from '../scale/applier.js';
import { startScaleObserver } from '../scale/observer.js';
import { startStatusWriter } from '../status/runner.js';
import { startEventRecorder } from '../events/recorder.js';

export interface KubernetesComponentsOptions {
  kubeConfig: KubeConfig;
  /** Only this namespace (default every namespace). */
  namespace?: string;
  /** Image of Pods made from specs without a template (default the simulator image). */
  defaultImage?: string;
  /** Kubernetes actuator re-plan period (default 5 s; tests pass less). */
  actuatorRetryMs?: number;
  /** How often objects being deleted are checked for leftovers (default 1 s). */
  finalizerCheckMs?: number;
  /** Prometheus base URL for AutoscalingPolicy metrics with a PromQL query (default none). */
  prometheusUrl?: string;
}

/** The parts of `mi controller --kubernetes`, in start order. */
export function kubernetesComponents(o: KubernetesComponentsOptions): ComponentStarter[] {
  const shared = defaultComponents({ prometheusUrl: o.prometheusUrl })
    .filter((c) => c.name !== 'actuator')
    .map((c): ComponentStarter => (c.name !== 'collector' ? c : { name: 'collector', start: (x) => startCollector({ nc: x.nc, logger: x.logger, metrics: x.metrics, resources: podMetricsSource({ kubeConfig: o.kubeConfig, namespace: o.namespace }) }) }));
  return [
    ...shared,
    {
      name: 'actuator-kubernetes',
      start: async (c) => {
        const a = await startK8sActuator({ nc: c.nc, kubeConfig: o.kubeConfig, logger: c.logger, namespace: o.namespace, defaultImage: o.defaultImage, retryMs: o.actuatorRetryMs, metrics: c.metrics });
        await a.ready;
        return a;
      },
    },
    {
      name: 'scale-applier',
      start: async (c) => {
        const s = await startScaleApplier({ nc: c.nc, kubeConfig: o.kubeConfig, logger: c.logger, namespace: o.namespace });
        await s.ready;
        return s;
      },
    },
    // The current count of bound Deployments, StatefulSets, ... for the autoscaler.
    { name: 'scale-observer', start: (c) => startScaleObserver({ nc: c.nc, kubeConfig: o.kubeConfig, logger: c.logger, namespace: o.namespace }) },
    // Children derived in the log appear in Kubernetes before the actuator needs their uid.
    { name: 'mirror', start: (c) => startMirror({ nc: c.nc, kubeConfig: o.kubeConfig, logger: c.logger, namespace: o.namespace }) },
    // Decisions a person should see, as Kubernetes Events on their objects (`kubectl describe`).
    { name: 'event-recorder', start: (c) => startEventRecorder({ nc: c.nc, kubeConfig: o.kubeConfig, logger: c.logger, namespace: o.namespace }) },
    // mi-status → each object's status subresource (what `kubectl get` and `kubectl wait` read).
    { name: 'status-writer', start: (c) => startStatusWriter({ nc: c.nc, kubeConfig: o.kubeConfig, logger: c.logger, namespace: o.namespace }) },
    // Last: everything that reacts to the resources it writes is already running.
    {
      name: 'ingest',
      start: async (c) => {
        const store = createResourceStore({ js: jetstream(c.nc), jsm: await jetstreamManager(c.nc), source: INGEST_SOURCE });
        // The cleanup finalizer sees each object after its log writes (a delete is in the log first).
        const finalizer = startFinalizer({ kubeConfig: o.kubeConfig, store, logger: c.logger, checkMs: o.finalizerCheckMs });
        const i = await startIngest({ nc: c.nc, kubeConfig: o.kubeConfig, logger: c.logger, namespace: o.namespace, store, observe: finalizer.observe });
        await i.synced;
        return {
          async stop() {
            await i.stop();
            await finalizer.stop();
          },
        };
      },
    },
  ];
}
