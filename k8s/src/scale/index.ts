// Public entry of the scale applier (autoscaler decisions -> ModelInfer spec.replicas on Kubernetes).
export { startScaleApplier, serverSideApplyReplicas, type ScaleApplier, type ScaleApplierOptions } from './applier.js';
export { replicaApplies, replicasApplyBody, AUTOSCALER_FIELD_MANAGER, type ReplicaApply } from './plan.js';
