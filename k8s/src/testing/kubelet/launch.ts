// Pure parts of the stand-in kubelet: loopback pod IPs, the argv of a Pod's engine container,
// and the Pod status it reports. Linux routes all of 127/8 to lo, so every Pod gets its own
// address and two Pods may listen on the same container port, as on a real node.
import type { V1Container, V1ContainerStatus, V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';

/** First free address of 127.0.1.1 … 127.0.255.254 not in `used` (127.0.0.x is left to the host). */
export function allocatePodIp(used: ReadonlySet<string>): string {
  for (let x = 1; x <= 255; x++) {
    for (let y = 1; y <= 254; y++) {
      const ip = `127.0.${x}.${y}`;
      if (!used.has(ip)) return ip;
    }
  }
  throw new RangeError('no free loopback pod IP left');
}

/** Expands `$(VAR)` as Kubernetes does (`$$(VAR)` stays literal); unknown variables are left as written. */
export function expandVars(s: string, env: Readonly<Record<string, string>>): string {
  return s.replace(/\$\$\(|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => (name === undefined ? '$(' : (env[name] ?? m)));
}

function withFlag(argv: string[], flag: string, value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag) {
      i++;
      continue;
    }
    if (argv[i].startsWith(`${flag}=`)) continue;
    out.push(argv[i]);
  }
  return [...out, flag, value];
}

/** The process of a container: program, arguments, environment. */
export interface ContainerLaunch {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/** Literal env of a container (valueFrom is not resolved by the stand-in: those are skipped). */
export function containerEnv(c: V1Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = expandVars(e.value, env);
  return env;
}

/** Port a container serves on: its first containerPort, else 8000. */
export function containerPort(c: V1Container): number {
  return c.ports?.[0]?.containerPort ?? 8000;
}

/**
 * The launch of the engine simulator for `c`: the stand-in runs only `mi-engine-sim` (any image;
 * the command's first word may name it, or be absent). `$(VAR)` expanded; `--host <podIP>` and
 * `--port <containerPort>` replace whatever the args said. Null when the container runs another program.
 */
export function simulatorLaunch(c: V1Container, podIp: string, simulator: readonly string[], baseEnv: Readonly<Record<string, string | undefined>>): ContainerLaunch | null {
  const command = c.command ?? [];
  if (command.length > 0 && !(command[0] === 'mi-engine-sim' || command[0].endsWith('/mi-engine-sim'))) return null;
  const env = containerEnv(c);
  let argv = [...command.slice(1), ...(c.args ?? [])].map((a) => expandVars(a, env));
  argv = withFlag(withFlag(argv, '--host', podIp), '--port', String(containerPort(c)));
  const full: Record<string, string> = {};
  for (const [k, v] of Object.entries(baseEnv)) if (v !== undefined) full[k] = v;
  Object.assign(full, env);
  return { file: simulator[0], args: [...simulator.slice(1), ...argv], env: full };
}

/** State of the engine container as the stand-in knows it. */
export interface ContainerRun {
  state: 'starting' | 'running' | 'exited' | 'waiting';
  ready: boolean;
  restarts: number;
  exitCode?: number | null;
  reason?: string;
  startedAt?: string;
}

function condition(type: string, ok: boolean, nowIso: string): V1PodCondition {
  return { type, status: ok ? 'True' : 'False', lastTransitionTime: nowIso as unknown as Date };
}

/**
 * The Pod status for a container run: Running (Ready from the probe) while it runs or restarts,
 * Failed when it exited and restartPolicy does not restart it (Never, or OnFailure with exit 0 →
 * Succeeded). Timestamps are ISO strings (the wire form).
 */
export function podStatus(pod: V1Pod, podIp: string, run: ContainerRun, nowIso: string): V1PodStatus {
  const c = pod.spec!.containers[0];
  const policy = pod.spec?.restartPolicy ?? 'Always';
  const final = run.state === 'exited' && (policy === 'Never' || (policy === 'OnFailure' && run.exitCode === 0));
  const phase = final ? (run.exitCode === 0 ? 'Succeeded' : 'Failed') : 'Running';
  const state: V1ContainerStatus['state'] =
    run.state === 'exited'
      ? { terminated: { exitCode: run.exitCode ?? 137, reason: run.reason ?? (run.exitCode === 0 ? 'Completed' : 'Error') } }
      : run.state === 'waiting'
        ? { waiting: { reason: 'CrashLoopBackOff', message: run.reason } }
        : { running: { startedAt: (run.startedAt ?? nowIso) as unknown as Date } };
  const cs: V1ContainerStatus = { name: c.name, image: c.image ?? '', imageID: '', ready: run.ready, restartCount: run.restarts, started: run.state === 'running' || run.state === 'starting', state };
  return {
    phase,
    podIP: podIp,
    podIPs: [{ ip: podIp }],
    hostIP: '127.0.0.1',
    conditions: [condition('PodScheduled', true, nowIso), condition('Initialized', true, nowIso), condition('ContainersReady', run.ready, nowIso), condition('Ready', run.ready, nowIso)],
    containerStatuses: [cs],
  };
}
