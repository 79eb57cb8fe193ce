// Resource types the controllers and the projector read and write: the generated types of
// @matrixinfer/schemas, plus the few shapes of our own (a kind-agnostic resource, the status
// values we compute with every field set).
import type { Condition, ModelInferStatus as GeneratedInferStatus, ObjectMeta } from '@matrixinfer/schemas';

export type {
  AutoscalingPolicyBinding,
  Condition,
  Container,
  EnvVar,
  IntOrPercent,
  LoraAdapter,
  Model,
  ModelBackend,
  ModelInfer,
  ModelInferSpec,
  ModelRoute,
  ModelServer,
  ModelWorker,
  ObjectMeta,
  OwnerReference,
  PodTemplate,
  Role,
  RolloutStrategy,
} from '@matrixinfer/schemas';

/** Any resource as stored in MI_DESIRED (kind-agnostic view). */
export interface AnyResource {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
}

/** ModelInfer status as the infer status function computes it: every field set. */
export interface ModelInferStatus extends GeneratedInferStatus {
  observedGeneration: number;
  replicas: number;
  currentReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  currentRevision: string;
  updateRevision: string;
  /** Role revisions of the instances running now, sorted. */
  revisions: string[];
  labelSelector: string;
  conditions: Condition[];
}

export const API_GROUPS = {
  registry: 'registry.matrixinfer.ai/v1alpha1',
  workload: 'workload.matrixinfer.ai/v1alpha1',
  networking: 'networking.matrixinfer.ai/v1alpha1',
} as const;

/** Namespace of a resource, `default` when unset. */
export function namespaceOf(r: { metadata: { namespace?: string } }): string {
  return r.metadata.namespace ?? 'default';
}
