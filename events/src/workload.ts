// Contract between the infer controller (which decides what instances a ModelInfer needs) and
// an actuator (which makes them real and reports back). Level-triggered on purpose: each
// decision carries the WHOLE desired instance set of one ModelInfer, so applying the same
// decision twice changes nothing and a restarted actuator only needs the latest one.
//
// Subjects:
//   decision    mi.decisions.infer.<namespace>.<modelinfer>             data: InstancesDecision
//   observation mi.observed.instance.<namespace>.<modelinfer>.<instance> data: InstanceObservation
import type { EngineFamily } from './routes.js';
import type { PodTemplate, TopologySpreadConstraint } from '@matrixinfer/schemas';

/** Event type of an InstancesDecision envelope. */
export const INSTANCES_DECISION = 'workload.instances';
/** Event type of an InstanceObservation envelope. */
export const INSTANCE_OBSERVATION = 'workload.instance.observed';

/** Labels every instance carries (used by ModelServer workloadSelector.matchLabels too). */
export const INSTANCE_LABELS = {
  modelInfer: 'modelinfer.matrixinfer.ai/name',
  group: 'modelinfer.matrixinfer.ai/group-name',
  role: 'modelinfer.matrixinfer.ai/role',
  roleId: 'modelinfer.matrixinfer.ai/role-id',
  revision: 'modelinfer.matrixinfer.ai/revision',
  entry: 'modelinfer.matrixinfer.ai/entry',
} as const;

/** One process/pod the actuator must run. */
export interface InstanceSpec {
  /** `<modelinfer>-<group>-<role>-<roleIdx>-<podIdx>`; unique within the namespace, stable. */
  name: string;
  namespace: string;
  modelInfer: string;
  /** Infer group index. */
  group: number;
  role: string;
  roleIndex: number;
  /** 0 for the entry instance of a role replica, 1.. for its workers. */
  podIndex: number;
  entry: boolean;
  /** Hash of the role template this instance was made from. */
  revision: string;
  engine: EngineFamily;
  /**
   * Program and arguments. An empty command, or one whose first word is `mi-engine-sim`, runs the
   * built-in engine simulator. The actuator substitutes `$(PORT)` in args with the port it
   * allocated, or appends `--port <port>` when no arg mentions it.
   */
  command: string[];
  args: string[];
  env: Record<string, string>;
  /**
   * Env vars whose value is a reference (Kubernetes EnvVarSource: secretKeyRef, configMapKeyRef,
   * fieldRef, ...), by name, kept as written: the controller never resolves them, the actuator
   * does (and a name here is not in `env`).
   */
  valueFrom?: Record<string, Record<string, unknown>>;
  /** Kubernetes EnvFromSource list of the container (configMapRef/secretRef, prefix), kept as written. */
  envFrom?: Record<string, unknown>[];
  /**
   * argv of `mi-engine-sim` standing in for this instance's engine where the engine is not
   * installed (from the pod template annotation modelinfer.matrixinfer.ai/simulator-args).
   */
  simulatorArgs?: string[];
  /** Template labels plus INSTANCE_LABELS. */
  labels: Record<string, string>;
  /**
   * Restart counter set by the infer controller's recovery policy (absent = 0). When it changes
   * while everything else stays the same, the actuator must stop the running instance and start
   * it again (a recreate); it echoes the value in its observations.
   */
  incarnation?: number;
  /**
   * The Pod template this instance is made from (its role's entry or worker template), for an
   * actuator that runs Pods (Kubernetes): it travels with the spec because during a rollout old
   * groups keep an older template than the ModelInfer now has. The local actuator ignores it.
   */
  template?: PodTemplate;
  /** ModelInfer spec.schedulerName, passed through to the Pod by the Kubernetes actuator. */
  schedulerName?: string;
  /** ModelInfer spec.topologySpreadConstraints, added to the Pod's own (Kubernetes actuator). */
  topologySpreadConstraints?: TopologySpreadConstraint[];
}

/** The desired instance set of one ModelInfer, with the reason it changed. */
export interface InstancesDecision {
  modelInfer: string;
  namespace: string;
  /** ModelInfer metadata.generation this decision was computed from. */
  generation: number;
  /** Sorted by name. Empty means: run nothing for this ModelInfer (deleted or scaled to 0). */
  instances: InstanceSpec[];
  /** Why the set changed, in words ("rolling update: replace group 1 (revision a1b2 → c3d4)"). */
  reason: string;
}

export type InstancePhase = 'pending' | 'starting' | 'ready' | 'failed' | 'exited' | 'stopped';

/** What an actuator saw of one instance. */
export interface InstanceObservation {
  instance: string;
  namespace: string;
  modelInfer: string;
  phase: InstancePhase;
  revision: string;
  labels: Record<string, string>;
  /** `http://127.0.0.1:<port>` once the instance listens. */
  address?: string;
  pid?: number;
  exitCode?: number | null;
  signal?: string | null;
  /** Why the phase changed, in words. */
  reason?: string;
  /** InstanceSpec.incarnation of the run observed (absent = 0): stale reports are ignored. */
  incarnation?: number;
  /** The engine is not installed here: the built-in simulator runs in its place (names the engine program). */
  simulatedEngine?: string;
  timeMs: number;
}
