// Prometheus metrics of one control plane: every family on one Registry owned by the caller
// (startControlPlane makes one per control plane and serves it on the API's /metrics), never
// the global default, so two control planes in one process (tests) do not collide. Components
// receive this object; without it they record nothing. Labels are bounded: controller,
// consumer, type, operation, reason, result, and per autoscaler target namespace/target/metric.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ControlPlaneMetrics {
  registry: Registry;
  reconciles: Counter<'controller' | 'result'>;
  reconcileDuration: Histogram<'controller'>;
  decisions: Counter<'type'>;
  lagMessages: Gauge<'consumer'>;
  lagSeconds: Gauge<'consumer'>;
  actuatorOperations: Counter<'operation'>;
  actuatorFailures: Counter<'reason'>;
  autoscalerDesired: Gauge<'namespace' | 'target'>;
  autoscalerCurrent: Gauge<'namespace' | 'target'>;
  autoscalerPanic: Gauge<'namespace' | 'target'>;
  autoscalerMetric: Gauge<'namespace' | 'target' | 'metric'>;
  projectorPropagation: Histogram<never>;
  projectorWrites: Counter<'bucket'>;
  collectorScrapes: Counter<'result'>;
  collectorEndpoints: Gauge<never>;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Creates the control plane's metric families on `registry` (default a fresh one). */
export function createControlPlaneMetrics(registry: Registry = new Registry()): ControlPlaneMetrics {
  const registers = [registry];
  return {
    registry,
    reconciles: new Counter({ name: 'mi_controlplane_reconciles_total', help: 'Reconcile passes by controller (model, infer, actuator, autoscaler) and result (ok, error).', labelNames: ['controller', 'result'], registers }),
    reconcileDuration: new Histogram({ name: 'mi_controlplane_reconcile_duration_seconds', help: 'Time of one reconcile pass, by controller.', labelNames: ['controller'], buckets: LATENCY_BUCKETS, registers }),
    decisions: new Counter({ name: 'mi_controlplane_decisions_published_total', help: 'Decisions appended to MI_DECISIONS, by event type.', labelNames: ['type'], registers }),
    lagMessages: new Gauge({ name: 'mi_controlplane_event_lag_messages', help: 'Messages of the stream filter still to handle after the last one handled, by consumer (<component>:<filter>).', labelNames: ['consumer'], registers }),
    lagSeconds: new Gauge({ name: 'mi_controlplane_event_lag_seconds', help: 'While messages are pending: age of the last one handled (stream time to handling); 0 at the head. By consumer.', labelNames: ['consumer'], registers }),
    actuatorOperations: new Counter({ name: 'mi_actuator_operations_total', help: 'Operations of the actuator: local (spawn, kill of engine processes) or Kubernetes (create-pod, create-service, delete-pod, delete-service).', labelNames: ['operation'], registers }),
    actuatorFailures: new Counter({ name: 'mi_actuator_failures_total', help: 'Failures the actuator saw, by reason: local (spawn, health-timeout, exited-before-ready, exited) or Kubernetes (create-failed, delete-failed, pod-failed, pod-lost).', labelNames: ['reason'], registers }),
    autoscalerDesired: new Gauge({ name: 'mi_autoscaler_desired_replicas', help: 'Replicas the last decision asks for, per scale target.', labelNames: ['namespace', 'target'], registers }),
    autoscalerCurrent: new Gauge({ name: 'mi_autoscaler_current_replicas', help: 'Replicas the last decision saw, per scale target.', labelNames: ['namespace', 'target'], registers }),
    autoscalerPanic: new Gauge({ name: 'mi_autoscaler_panic_mode', help: '1 while the target is in panic mode, else 0.', labelNames: ['namespace', 'target'], registers }),
    autoscalerMetric: new Gauge({ name: 'mi_autoscaler_metric_value', help: "Value of each policy metric at the last tick (summed over the target's endpoints).", labelNames: ['namespace', 'target', 'metric'], registers }),
    projectorPropagation: new Histogram({ name: 'mi_projector_propagation_seconds', help: 'Time from the oldest source event of a change (stream time) to its write to mi-routes/mi-status.', buckets: LATENCY_BUCKETS, registers }),
    projectorWrites: new Counter({ name: 'mi_projector_kv_writes_total', help: 'Keys put or deleted by the projector, by bucket.', labelNames: ['bucket'], registers }),
    collectorScrapes: new Counter({ name: 'mi_collector_scrapes_total', help: 'Engine /metrics scrapes by result (ok, failed, unrecognized, bound-failed, publish-failed).', labelNames: ['result'], registers }),
    collectorEndpoints: new Gauge({ name: 'mi_collector_endpoints', help: 'Ready endpoints the collector scrapes.', registers }),
  };
}
