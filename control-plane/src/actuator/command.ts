// Pure translation of an InstanceSpec into the program, argv and environment of its process.
import type { InstanceSpec } from '@matrixinfer/events';

/** Program, arguments and environment to spawn. */
export interface Launch {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/** Facts about the world the launch depends on, computed by the supervisor. */
export interface LaunchContext {
  port: number;
  /** argv prefix that runs the built-in simulator, e.g. [node, .../mi-engine-sim.js]. */
  simulator: readonly string[];
  /** Host of the entry instance of this instance's role replica. */
  entryAddress: string;
  /** HTTP port of that entry instance (this instance's own port when it is the entry). */
  entryPort: number;
  /** Number of instances (entry + workers) in this instance's role replica. */
  groupSize: number;
  /** Inherited environment (PATH, HOME...), overridden by the spec's env and ours; NATS credentials (MI_NATS_*) are never passed on. */
  baseEnv: Readonly<Record<string, string | undefined>>;
}

const PORT_PLACEHOLDER = '$(PORT)';
const SIMULATOR = 'mi-engine-sim';

/** True when the spec asks for the built-in simulator: no command, or one starting with mi-engine-sim. */
export function isSimulatorCommand(command: readonly string[]): boolean {
  if (command.length === 0) return true;
  const first = command[0];
  return first === SIMULATOR || first.endsWith(`/${SIMULATOR}`);
}

function mentionsFlag(argv: readonly string[], flag: string): boolean {
  return argv.some((a) => a === flag || a.startsWith(`${flag}=`));
}

/**
 * Builds the launch of `spec`: the simulator prefix or the command verbatim, `$(PORT)`
 * substituted (or `--port <p>` appended when no argument mentions it), `--engine sglang` for
 * a simulated SGLang instance that does not choose an engine itself, and the environment of
 * the workload contract (PORT, MI_*, ENTRY_ADDRESS, WORKER_INDEX, GROUP_SIZE) over the spec's.
 */
export function buildLaunch(spec: InstanceSpec, ctx: LaunchContext): Launch {
  const port = String(ctx.port);
  const simulated = isSimulatorCommand(spec.command);
  const own = simulated ? spec.command.slice(1) : spec.command.slice();
  let argv = [...own, ...spec.args];
  const mentionsPort = argv.some((a) => a.includes(PORT_PLACEHOLDER));
  argv = argv.map((a) => a.split(PORT_PLACEHOLDER).join(port));
  if (simulated && spec.engine !== 'vLLM' && !mentionsFlag(argv, '--engine')) argv.push('--engine', spec.engine.toLowerCase());
  if (!mentionsPort) argv.push('--port', port);
  const full = simulated ? [...ctx.simulator, ...argv] : argv;
  const env: Record<string, string> = {};
  // An engine is not a NATS client: the control plane's credentials stay with it.
  for (const [k, v] of Object.entries(ctx.baseEnv)) if (v !== undefined && !k.startsWith('MI_NATS_')) env[k] = v;
  Object.assign(env, spec.env, {
    PORT: port,
    MI_INSTANCE: spec.name,
    MI_NAMESPACE: spec.namespace,
    MI_MODELINFER: spec.modelInfer,
    MI_ROLE: spec.role,
    MI_GROUP: String(spec.group),
    MI_REVISION: spec.revision,
    ENTRY_ADDRESS: ctx.entryAddress,
    ENTRY_PORT: String(ctx.entryPort),
    WORKER_INDEX: String(spec.podIndex),
    GROUP_SIZE: String(ctx.groupSize),
  });
  return { file: full[0], args: full.slice(1), env };
}

/** Instances of the same role replica (same ModelInfer, group, role, roleIndex) as `spec`. */
export function sameRoleReplica(spec: InstanceSpec, other: InstanceSpec): boolean {
  return (
    other.namespace === spec.namespace &&
    other.modelInfer === spec.modelInfer &&
    other.group === spec.group &&
    other.role === spec.role &&
    other.roleIndex === spec.roleIndex
  );
}

/**
 * The spec to run when its engine is not installed here: the built-in simulator with the
 * simulator argv the controller derived for it (null when the spec has none, or already runs
 * the simulator). Everything else (env, labels, revision) stays as it is.
 */
export function standInSpec(spec: InstanceSpec): InstanceSpec | null {
  if (isSimulatorCommand(spec.command) || !spec.simulatorArgs) return null;
  return { ...spec, command: [SIMULATOR], args: [...spec.simulatorArgs] };
}
