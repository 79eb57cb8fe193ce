// The local actuator: makes InstancesDecisions real as child processes on this machine and
// reports what it sees as InstanceObservations. Restart policy: CLEAN UP. On start it kills
// the still-alive children a previous run recorded in <dataDir>/actuator/pids.json (after
// checking they are ours), reports them `stopped`, then starts fresh from the latest decisions.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'winston';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import {
  INSTANCE_OBSERVATION,
  engineReadyPath,
  INSTANCES_DECISION,
  STREAMS,
  makeEvent,
  observedSubject,
  publishEvent,
  type Envelope,
  type InstanceObservation,
  type InstancePhase,
  type InstanceSpec,
  type InstancesDecision,
} from '@matrixinfer/events';
import { followStream, type Follower } from './bus.js';
import type { ControlPlaneMetrics } from '../observability/metrics.js';
import { lagRecorder, reconcileRecorder } from '../observability/record.js';
import { buildLaunch, isSimulatorCommand, sameRoleReplica, standInSpec } from './command.js';
import { localDownloads, withLocalModels } from './weights.js';
import { runDownload } from '../download/download.js';
import { engineProbe, engineProgram } from './engine-probe.js';
import { InvalidActuatorOptionError, HealthTimeoutError } from './errors.js';
import { describeChange, instanceKey, planActions, type RunningInstance } from './plan.js';
import { drainEngine } from './drain.js';
import { killStale, readPidFile, writePidFile, type PidRecord } from './pidfile.js';
import { resolveInstanceEnv } from './env.js';
import type { CoreObjectReader } from '../api/core-store.js';
import { allocatePort, killProcess, resolveSimulatorCommand, signalGroup, spawnProcess, waitHealthy, type SpawnedProcess } from './process.js';
import { startWatchdog, type Watchdog } from './watchdog.js';

/** Options of startLocalActuator. */
export interface LocalActuatorOptions {
  nc: NatsConnection;
  /** Root data folder; the actuator uses <dataDir>/actuator (pids.json, logs/). */
  dataDir: string;
  logger: Logger;
  /** argv prefix running the built-in simulator; resolved from the workspace when omitted. */
  simulatorCommand?: string[];
  /** How long an instance may take to answer GET /health 200 (default 60 s). */
  startupTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace when stopping an instance (default 5 s). */
  stopGraceMs?: number;
  /**
   * Before stopping a ready instance the decisions removed (scale-down, rolling replace), wait
   * this long for every gateway to drop it from routing (default 1 s)...
   */
  drainGraceMs?: number;
  /** ...then up to this long in all for its running requests to finish (default 30 s; 0: no drain). */
  drainTimeoutMs?: number;
  /** Kill children on SIGINT/SIGTERM of this process (default true). */
  handleSignals?: boolean;
  /** Clock for observation times (default Date.now). */
  now?: () => number;
  /**
   * Re-reports every ready instance this often (default 1 h), so a long-lived instance's
   * latest observation never ages out of MI_OBSERVED (limited by age) and readers that
   * start later still see it ready.
   */
  resyncMs?: number;
  /** Whether a real engine's argv can run here (default: PATH lookup, and the module for `python -m`). */
  engineInstalled?: (argv: readonly string[]) => Promise<boolean>;
  /** Stored Secrets and ConfigMaps that env valueFrom/envFrom read (none: such references fail the instance). */
  envSources?: CoreObjectReader;
  /** Spawns, kills, failures, reconciles and tail lag are recorded here (none: not recorded). */
  metrics?: ControlPlaneMetrics;
}

/** What the actuator reports about one instance it manages. */
export interface ActuatorInstance {
  name: string;
  namespace: string;
  modelInfer: string;
  revision: string;
  incarnation?: number;
  phase: InstancePhase;
  pid?: number;
  address?: string;
  logPath?: string;
}

/** A running local actuator. */
export interface LocalActuator {
  /** Stops following decisions, stops every instance (reported `stopped`), removes hooks. */
  stop(): Promise<void>;
  /** Snapshot of the managed instances, sorted by namespace/name. */
  instances(): ActuatorInstance[];
}

interface Managed extends RunningInstance {
  key: string;
  port?: number;
  address?: string;
  logPath?: string;
  proc?: SpawnedProcess;
  stopping: boolean;
  abort: AbortController;
  /** Engine program the simulator stands in for (not installed here). */
  simulatedEngine?: string;
}

const SOURCE = 'actuator/local';

/** Starts the local actuator: cleans up a previous run, then follows infer decisions. */
export async function startLocalActuator(opts: LocalActuatorOptions): Promise<LocalActuator> {
  const startupTimeoutMs = opts.startupTimeoutMs ?? 60_000;
  const stopGraceMs = opts.stopGraceMs ?? 5_000;
  if (!(startupTimeoutMs > 0)) throw new InvalidActuatorOptionError(`startupTimeoutMs must be > 0, got ${startupTimeoutMs}`);
  if (!(stopGraceMs >= 0)) throw new InvalidActuatorOptionError(`stopGraceMs must be >= 0, got ${stopGraceMs}`);
  const drainGraceMs = opts.drainGraceMs ?? 1_000;
  const drainTimeoutMs = opts.drainTimeoutMs ?? 30_000;
  if (!(drainGraceMs >= 0) || !(drainTimeoutMs >= 0)) throw new InvalidActuatorOptionError(`drainGraceMs and drainTimeoutMs must be >= 0, got ${drainGraceMs} and ${drainTimeoutMs}`);
  // Aborted by stop(): a shutting-down actuator does not wait for drains.
  const shutdown = new AbortController();
  const simulator = opts.simulatorCommand ?? resolveSimulatorCommand();
  if (simulator.length === 0) throw new InvalidActuatorOptionError('simulatorCommand must not be empty');
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ component: 'actuator' });
  const engineInstalled = opts.engineInstalled ?? engineProbe();
  // One warning per engine program, not one per instance.
  const warnedEngines = new Set<string>();
  const root = join(opts.dataDir, 'actuator');
  const pidPath = join(root, 'pids.json');
  const js = jetstream(opts.nc);
  const ops = opts.metrics?.actuatorOperations;
  const spawned = ops?.labels('spawn');
  const killed = ops?.labels('kill');
  const failures = opts.metrics?.actuatorFailures;
  const failed = {
    spawn: failures?.labels('spawn'),
    healthTimeout: failures?.labels('health-timeout'),
    exitedBeforeReady: failures?.labels('exited-before-ready'),
    exited: failures?.labels('exited'),
  };
  const reconciles = reconcileRecorder(opts.metrics, 'actuator');

  const managed = new Map<string, Managed>();
  const desired = new Map<string, InstanceSpec[]>();
  let closed = false;

  // Observations go out one after another so that `starting` always precedes `ready`.
  let publishChain: Promise<void> = Promise.resolve();
  function observe(o: Omit<InstanceObservation, 'timeMs'>): void {
    const obs: InstanceObservation = { ...o, timeMs: now() };
    const subject = observedSubject('instance', obs.namespace, obs.modelInfer, obs.instance);
    log.info('instance observed', { subject, phase: obs.phase, reason: obs.reason, pid: obs.pid, address: obs.address });
    // One envelope (one id) for every attempt: JetStream dedup makes a retry that did land
    // earlier harmless.
    const event = makeEvent(INSTANCE_OBSERVATION, SOURCE, subject, obs, { now: () => obs.timeMs });
    publishChain = publishChain.then(() => publishWithRetry(subject, event));
  }
  // An observation lost to a NATS outage would leave controllers with a wrong picture for good,
  // so each is retried (in order, with backoff) until it lands; once stopping, twice at most.
  let abandon = false; // stopping while NATS is unreachable: do not hold shutdown hostage
  async function publishWithRetry(subject: string, event: Envelope<InstanceObservation>): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        if (abandon) throw new Error('NATS unreachable while stopping');
        await publishEvent(js, subject, event, closed ? { timeoutMs: 1000 } : {});
        if (attempt > 1) log.info('observation published after retries', { subject, attempt });
        return;
      } catch (err) {
        if (opts.nc.isClosed() || abandon || (closed && attempt >= 2)) {
          abandon = closed;
          log.warn('observation not published', { subject, phase: event.data.phase, error: (err as Error).message });
          return;
        }
        if (attempt === 1) log.warn('cannot publish observation; retrying', { subject, error: (err as Error).message });
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** Math.min(attempt - 1, 5))));
      }
    }
  }
  function observeSpec(m: Managed, phase: InstancePhase, extra: Partial<InstanceObservation> = {}): void {
    const { spec } = m;
    const base = { instance: spec.name, namespace: spec.namespace, modelInfer: spec.modelInfer, revision: spec.revision, labels: spec.labels, phase, ...(m.simulatedEngine !== undefined ? { simulatedEngine: m.simulatedEngine } : {}) };
    observe(spec.incarnation === undefined ? { ...base, ...extra } : { ...base, incarnation: spec.incarnation, ...extra });
  }

  // Clean-up policy: whatever a previous run left alive is killed before anything starts.
  const stale = await killStale(readPidFile(pidPath), stopGraceMs);
  for (const r of stale) {
    log.warn('killed a child left by a previous actuator run', { instance: r.instance, pid: r.pid });
    observe({ instance: r.instance, namespace: r.namespace, modelInfer: r.modelInfer, revision: r.revision, labels: r.labels ?? {}, incarnation: r.incarnation, phase: 'stopped', pid: r.pid, reason: 'cleaned up: left running by a previous actuator run' });
  }
  writePidFile(pidPath, []);
  const watchdog: Watchdog = startWatchdog(log);

  function savePids(): void {
    const records: PidRecord[] = [];
    for (const m of managed.values()) {
      if (m.proc === undefined || m.proc.exitInfo() !== undefined) continue;
      const { spec } = m;
      records.push({ pid: m.proc.pid, instance: spec.name, namespace: spec.namespace, modelInfer: spec.modelInfer, revision: spec.revision, labels: spec.labels, incarnation: spec.incarnation });
    }
    writePidFile(pidPath, records);
    watchdog.update(records.map((r) => r.pid));
  }

  function desiredList(): InstanceSpec[] {
    return [...desired.values()].flat();
  }

  function onExit(m: Managed, code: number | null, signal: string | null): void {
    savePids();
    if (m.stopping || managed.get(m.key) !== m) return; // stopInstance reports it
    if (m.phase === 'starting') {
      failed.exitedBeforeReady?.inc();
      m.phase = 'failed';
      observeSpec(m, 'failed', { pid: m.proc?.pid, exitCode: code, signal, reason: `exited before ready (code ${code}, signal ${signal}); log: ${m.logPath}` });
    } else if (m.phase === 'ready') {
      failed.exited?.inc();
      m.phase = 'exited';
      observeSpec(m, 'exited', { pid: m.proc?.pid, address: m.address, exitCode: code, signal, reason: `exited unexpectedly (code ${code}, signal ${signal})` });
    }
  }

  async function startInstance(spec: InstanceSpec): Promise<void> {
    const key = instanceKey(spec.namespace, spec.name);
    const m: Managed = { key, spec, phase: 'pending', stopping: false, abort: new AbortController() };
    managed.set(key, m);
    m.logPath = join(root, 'logs', `${spec.namespace}.${spec.name}.log`);
    try {
      const port = await allocatePort();
      let entryPort = port;
      if (!spec.entry) {
        const entry = [...managed.values()].find((o) => o.spec.entry && sameRoleReplica(spec, o.spec));
        if (entry?.port !== undefined) entryPort = entry.port;
      }
      const groupSize = desiredList().filter((o) => sameRoleReplica(spec, o)).length || 1;
      // Resolved at start, as the kubelet does: a later change to the Secret needs a restart.
      let run = await resolveInstanceEnv(spec, opts.envSources);
      // A real engine's command where the engine is not installed: the simulator stands in, said loudly.
      const standIn = standInSpec(run);
      const argv = [...run.command, ...run.args];
      if (standIn !== null && !(await engineInstalled(argv))) {
        const engine = engineProgram(argv);
        m.simulatedEngine = engine;
        if (!warnedEngines.has(engine)) {
          warnedEngines.add(engine);
          log.warn(`engine ${engine} is not installed on this machine: the built-in simulator runs in its place`, { instance: spec.name, modelInfer: spec.modelInfer, engine: spec.engine, command: run.command.join(' ') });
        }
        run = standIn;
      } else if (!isSimulatorCommand(run.command)) {
        // A real engine: its weights first, as the init containers do on Kubernetes.
        const models = join(opts.dataDir, 'models');
        const downloads = localDownloads(run, models);
        if (downloads.length > 0) mkdirSync(dirname(m.logPath), { recursive: true });
        for (const d of downloads) {
          appendFileSync(m.logPath, `--- ${new Date(now()).toISOString()} ${d.name}: mi download --source ${d.source} --output-dir ${d.outputDir}\n`);
          await runDownload({ source: d.source, outputDir: d.outputDir, env: { ...process.env, ...run.env }, log: (l) => appendFileSync(m.logPath!, `${l}\n`) });
        }
        run = withLocalModels(run, models);
      }
      const launch = buildLaunch(run, { port, simulator, entryAddress: '127.0.0.1', entryPort, groupSize, baseEnv: process.env });
      m.port = port;
      m.address = `http://127.0.0.1:${port}`;
      m.proc = await spawnProcess(launch, m.logPath, `--- ${new Date(now()).toISOString()} starting ${spec.name} (revision ${spec.revision}): ${[launch.file, ...launch.args].join(' ')}\n`);
    } catch (err) {
      failed.spawn?.inc();
      // Stays in `managed` as failed: the controller decides whether to try again (new spec).
      m.phase = 'failed';
      observeSpec(m, 'failed', { reason: (err as Error).message });
      return;
    }
    const proc = m.proc;
    spawned?.inc();
    m.phase = 'starting';
    observeSpec(m, 'starting', { pid: proc.pid });
    savePids();
    void proc.exited.then(({ code, signal }) => onExit(m, code, signal));
    void waitHealthy(proc, { url: `${m.address}${engineReadyPath(m.spec.engine)}`, timeoutMs: startupTimeoutMs, pollMs: 100, signal: m.abort.signal }).then(
      () => {
        if (m.stopping || m.phase !== 'starting' || proc.exitInfo() !== undefined) return;
        m.phase = 'ready';
        observeSpec(m, 'ready', { pid: proc.pid, address: m.address });
      },
      (err: unknown) => {
        // An exit before ready is reported by onExit; only the timeout is ours to report.
        if (m.stopping || !(err instanceof HealthTimeoutError) || m.phase !== 'starting') return;
        failed.healthTimeout?.inc();
        m.phase = 'failed';
        observeSpec(m, 'failed', { pid: proc.pid, reason: `health check timed out: ${err.message}; log: ${m.logPath}` });
        killed?.inc();
        void killProcess(proc, stopGraceMs);
      },
    );
  }

  async function stopInstance(m: Managed, reason: string, drain = false): Promise<void> {
    m.stopping = true;
    if (drain && drainTimeoutMs > 0 && m.phase === 'ready' && m.address !== undefined) {
      const outcome = await drainEngine(m.address, { graceMs: drainGraceMs, timeoutMs: drainTimeoutMs, signal: shutdown.signal });
      reason = `${reason}; drained (${outcome})`;
    }
    m.abort.abort();
    if (m.proc !== undefined) killed?.inc();
    const info = m.proc === undefined ? undefined : await killProcess(m.proc, stopGraceMs);
    if (managed.get(m.key) === m) managed.delete(m.key);
    savePids();
    observeSpec(m, 'stopped', { pid: m.proc?.pid, exitCode: info?.code ?? null, signal: info?.signal ?? null, reason });
  }

  async function reconcile(): Promise<void> {
    const plan = planActions(managed, desiredList());
    const byKey = (r: RunningInstance): Managed => managed.get(instanceKey(r.spec.namespace, r.spec.name))!;
    await Promise.all([
      ...plan.stop.map((r) => stopInstance(byKey(r), 'no longer in the desired instance set', true)),
      ...plan.replace.map((r) => stopInstance(byKey(r.from), `replaced: ${describeChange(r.from.spec, r.to)}`, true)),
    ]);
    // Entries first (the plan's order), so workers learn their entry's port.
    const starts = [...plan.replace.map((r) => r.to), ...plan.start].sort((a, b) => (a.entry === b.entry ? 0 : a.entry ? -1 : 1));
    for (const spec of starts) {
      if (closed) return;
      await startInstance(spec);
    }
  }

  // Single flight: decisions arriving while a reconcile runs coalesce into one more pass.
  let dirty = false;
  let loop: Promise<void> | null = null;
  function schedule(): void {
    dirty = true;
    if (loop !== null || closed) return;
    loop = (async () => {
      while (dirty && !closed) {
        dirty = false;
        try {
          await reconciles.run(reconcile);
        } catch (err) {
          log.error('reconcile failed', { error: (err as Error).message });
        }
      }
      loop = null;
    })();
  }

  // Synchronous last resort: `exit` handlers cannot wait, so SIGTERM the groups now; the
  // watchdog (whose stdin closes with us) follows up with SIGKILL.
  const killAllNow = (): void => {
    for (const m of managed.values()) if (m.proc !== undefined && m.proc.exitInfo() === undefined) signalGroup(m.proc.pid, 'SIGTERM');
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    killAllNow();
    // If nobody else handles the signal, restore its default meaning (terminate).
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  process.on('exit', killAllNow);
  const handleSignals = opts.handleSignals ?? true;
  if (handleSignals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }

  let caughtUp = false;
  const follower: Follower = await followStream(
    opts.nc,
    STREAMS.decisions,
    'mi.decisions.infer.>',
    // Decisions are level-triggered and the infer controller publishes only InstancesDecisions
    // on these subjects: the last message per ModelInfer subject is the whole desired state.
    'last-per-subject',
    (e) => {
      if (e.type !== INSTANCES_DECISION) return;
      const d = e.data as InstancesDecision;
      if (typeof d?.modelInfer !== 'string' || typeof d.namespace !== 'string' || !Array.isArray(d.instances)) throw new TypeError('malformed InstancesDecision');
      desired.set(`${d.namespace}/${d.modelInfer}`, d.instances);
      log.info('instances decision', { modelInfer: d.modelInfer, namespace: d.namespace, instances: d.instances.length, reason: d.reason });
      if (e.pending === 0) caughtUp = true;
      if (caughtUp) schedule();
    },
    (subject, err) => log.warn('ignoring a malformed decision', { subject, error: (err as Error).message }),
    lagRecorder(opts.metrics, `${SOURCE}:mi.decisions.infer.>`),
  );
  void follower.caughtUp.then(() => {
    caughtUp = true;
    schedule();
  });

  const resyncMs = opts.resyncMs ?? 3_600_000;
  const resync = setInterval(() => {
    for (const m of managed.values()) {
      if (m.phase === 'ready' && !m.stopping) observeSpec(m, 'ready', { pid: m.proc?.pid, address: m.address, reason: 'periodic re-report: still ready' });
    }
  }, resyncMs);
  resync.unref();

  return {
    async stop() {
      if (closed) return;
      closed = true;
      clearInterval(resync);
      shutdown.abort();
      process.off('exit', killAllNow);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await follower.stop();
      await loop;
      await Promise.all([...managed.values()].map((m) => stopInstance(m, 'actuator shutting down')));
      await publishChain;
      writePidFile(pidPath, []);
      await watchdog.close();
    },
    instances() {
      return [...managed.values()]
        .map((m) => ({ name: m.spec.name, namespace: m.spec.namespace, modelInfer: m.spec.modelInfer, revision: m.spec.revision, incarnation: m.spec.incarnation, phase: m.phase, pid: m.proc?.pid, address: m.address, logPath: m.logPath }))
        .sort((a, b) => (instanceKey(a.namespace, a.name) < instanceKey(b.namespace, b.name) ? -1 : 1));
    },
  };
}
