// ModelInfer -> instances of one infer group: roles × role replicas × (entry + workers), stable
// names `<mi>-<group>-<role>-<roleIdx>-<podIdx>`, revision = short hash of the role template.
import { INSTANCE_LABELS, type EngineFamily, type InstanceSpec } from '@matrixinfer/events';
import { standInArgs } from '../../engine-cli/command-line.js';
import { contentHash } from '../hash.js';
import { ENGINE_ANNOTATION, SIMULATOR_ARGS_ANNOTATION } from '../model/engine/labels.js';
import { namespaceOf, type Container, type ModelInfer, type PodTemplate, type Role } from '../types.js';

/** Revision of one role template (what an instance's `revision` is). */
export function roleRevision(role: Role): string {
  return contentHash(role, 10);
}

/** Revision of a whole ModelInfer template (the status' updateRevision). */
export function templateRevision(mi: ModelInfer): string {
  return contentHash(mi.spec.template.roles, 10);
}

/** `<mi>-<group>-<role>-<roleIdx>-<podIdx>`. */
export function instanceName(mi: string, group: number, role: string, roleIndex: number, podIndex: number): string {
  return `${mi}-${group}-${role}-${roleIndex}-${podIndex}`;
}

/** Value of the group-name label (the PD group key of disaggregated serving). */
export function groupName(mi: string, group: number): string {
  return `${mi}-${group}`;
}

function firstContainer(t: PodTemplate | undefined): Container | undefined {
  return t?.spec?.containers?.[0];
}

/**
 * A container's env split into plain values and references. A reference stays a reference
 * (the actuator resolves it where the Secret or ConfigMap lives); a later entry of the same
 * name wins, as in Kubernetes.
 */
export function envOf(c: Container | undefined): { env: Record<string, string>; valueFrom: Record<string, Record<string, unknown>> } {
  const env: Record<string, string> = {};
  const valueFrom: Record<string, Record<string, unknown>> = {};
  for (const e of c?.env ?? []) {
    delete env[e.name];
    delete valueFrom[e.name];
    if (e.value === undefined && e.valueFrom) valueFrom[e.name] = structuredClone(e.valueFrom) as Record<string, unknown>;
    else env[e.name] = e.value ?? '';
  }
  return { env, valueFrom };
}

function simulatorArgsOf(t: PodTemplate | undefined): string[] | undefined {
  const raw = t?.metadata?.annotations?.[SIMULATOR_ARGS_ANNOTATION];
  if (!raw) return undefined;
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined; // a hand-written annotation that is not JSON: no stand-in, the engine runs as written
  }
}

/** Looks up the incarnation an instance name currently has (0 when new). */
export type IncarnationOf = (instance: string) => number;

const FAMILIES: readonly EngineFamily[] = ['vLLM', 'SGLang', 'Triton', 'TorchServe'];

/** The engine family an ENGINE_ANNOTATION value names; vLLM when absent or unknown (hand-written ModelInfers). */
export function engineFamilyOf(annotation: string | undefined): EngineFamily {
  return FAMILIES.find((f) => f === annotation) ?? 'vLLM';
}

/** Every instance of infer group `group`, in name order. */
export function renderGroup(mi: ModelInfer, group: number, incarnationOf: IncarnationOf = () => 0): InstanceSpec[] {
  const name = mi.metadata.name;
  const namespace = namespaceOf(mi);
  const engine = engineFamilyOf(mi.metadata.annotations?.[ENGINE_ANNOTATION]);
  const out: InstanceSpec[] = [];
  for (const role of mi.spec.template.roles) {
    const revision = roleRevision(role);
    const workers = role.workerReplicas ?? 0;
    for (let r = 0; r < (role.replicas ?? 1); r++) {
      const entryName = instanceName(name, group, role.name, r, 0);
      for (let p = 0; p <= workers; p++) {
        const template = p === 0 ? role.entryTemplate : (role.workerTemplate ?? role.entryTemplate);
        const c = firstContainer(template);
        const { env, valueFrom } = envOf(c);
        // Kthena's pod environment; ENTRY_ADDRESS is filled by the actuator, which knows addresses.
        env.GROUP_SIZE = String(workers + 1);
        env.WORKER_INDEX = String(p);
        env.MI_ENTRY_INSTANCE = entryName;
        env.MI_GROUP = groupName(name, group);
        env.MI_ROLE = role.name;
        env.MI_ROLE_INDEX = String(r);
        const iname = instanceName(name, group, role.name, r, p);
        const spec: InstanceSpec = {
          name: iname,
          namespace,
          modelInfer: name,
          group,
          role: role.name,
          roleIndex: r,
          podIndex: p,
          entry: p === 0,
          revision,
          engine,
          command: [...(c?.command ?? [])],
          args: [...(c?.args ?? [])],
          env,
          labels: {
            ...(template.metadata?.labels ?? {}),
            [INSTANCE_LABELS.modelInfer]: name,
            [INSTANCE_LABELS.group]: groupName(name, group),
            [INSTANCE_LABELS.role]: role.name,
            [INSTANCE_LABELS.roleId]: `${role.name}-${r}`,
            [INSTANCE_LABELS.revision]: revision,
            [INSTANCE_LABELS.entry]: p === 0 ? 'true' : 'false',
          },
        };
        if (Object.keys(valueFrom).length > 0) spec.valueFrom = valueFrom;
        const envFrom = c?.envFrom;
        if (Array.isArray(envFrom) && envFrom.length > 0) spec.envFrom = structuredClone(envFrom) as Record<string, unknown>[];
        // A Model's templates carry the stand-in the Model controller derived; a hand-written
        // template (MatrixInfer's own examples) gets one from its engine command line or image.
        const sim = simulatorArgsOf(template) ?? (c?.command?.length ? standInArgs(c.command, c.args ?? [], c.image) : undefined);
        if (sim) spec.simulatorArgs = sim;
        const inc = incarnationOf(iname);
        if (inc > 0) spec.incarnation = inc;
        out.push(spec);
      }
    }
  }
  return out.sort(byName);
}

/** Sort comparator of instances by name (the order of InstancesDecision.instances). */
export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
