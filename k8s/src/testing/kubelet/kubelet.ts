// The stand-in kubelet of the test fixture: binds unscheduled Pods to its node, gives each its
// own loopback pod IP, runs the engine simulator for the Pod's engine container (first
// container; other programs are reported as failing to start), writes Pod status (phase, pod
// IP, Ready from the readiness probe, containerStatuses with restarts), and kills the process
// when the Pod is deleted and on stop(). Never leaves a process behind.
import { CoreV1Api, makeInformer, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import { allocatePodIp, containerPort, podStatus, simulatorLaunch, type ContainerRun } from './launch.js';
import { startContainer, type ContainerRunner } from './runner.js';

/** Options of startStandInKubelet. */
export interface StandInKubeletOptions {
  kubeConfig: KubeConfig;
  /** argv prefix running the simulator, e.g. [process.execPath, <engine-sim>/bin/mi-engine-sim.js]. */
  simulatorCommand: string[];
  logger: Logger;
  /** Node name Pods are bound to (default `mi-node-0`). */
  nodeName?: string;
  /** Readiness probe period (default 250 ms: tests, not production). */
  probePeriodMs?: number;
  restartBackoffMs?: number;
  /** SIGTERM → SIGKILL grace (default 2 s). */
  killGraceMs?: number;
}

/** A running stand-in kubelet. */
export interface StandInKubelet {
  /** Pod key → pod IP and process id of what runs. */
  running(): { key: string; podIp: string; pid?: number }[];
  /** Kills every process and stops watching. */
  stop(): Promise<void>;
}

interface Running {
  podIp: string;
  uid: string;
  runner?: ContainerRunner;
}

/** Starts the stand-in kubelet (watches every namespace). */
export function startStandInKubelet(opts: StandInKubeletOptions): StandInKubelet {
  const node = opts.nodeName ?? 'mi-node-0';
  const log = opts.logger.child({ component: 'stand-in-kubelet', node });
  const core = opts.kubeConfig.makeApiClient(CoreV1Api);
  const pods = new Map<string, Running>();
  const informer = makeInformer<V1Pod>(opts.kubeConfig, '/api/v1/pods', () => core.listPodForAllNamespaces() as never);
  let stopped = false;
  const keyOf = (p: V1Pod) => `${p.metadata?.namespace ?? 'default'}/${p.metadata?.name ?? ''}`;

  // Status writes go through a per-pod chain so they land in order; a 409 re-reads the Pod.
  const chains = new Map<string, Promise<void>>();
  function writeStatus(pod: V1Pod, podIp: string, run: ContainerRun): void {
    const key = keyOf(pod);
    const next = (chains.get(key) ?? Promise.resolve()).then(async () => {
      for (let attempt = 0; attempt < 5 && !stopped; attempt++) {
        try {
          const current = await core.readNamespacedPod({ namespace: pod.metadata!.namespace!, name: pod.metadata!.name! });
          if (current.metadata?.uid !== pod.metadata?.uid) return;
          await core.replaceNamespacedPodStatus({ namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, body: { ...current, status: podStatus(current, podIp, run, new Date().toISOString()) } });
          return;
        } catch (err) {
          const code = (err as { code?: number }).code;
          if (code === 404) return;
          if (code !== 409) log.warn('status write failed', { pod: key, error: (err as Error).message });
        }
      }
    });
    chains.set(key, next);
  }

  async function bind(pod: V1Pod): Promise<void> {
    try {
      await core.createNamespacedPodBinding({ namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, body: { metadata: { name: pod.metadata!.name! }, target: { kind: 'Node', name: node } } });
    } catch (err) {
      log.warn('binding failed (running the Pod anyway)', { pod: keyOf(pod), error: (err as Error).message });
    }
  }

  function start(pod: V1Pod): void {
    const key = keyOf(pod);
    const used = new Set([...pods.values()].map((r) => r.podIp));
    const podIp = allocatePodIp(used);
    const entry: Running = { podIp, uid: pod.metadata?.uid ?? '' };
    pods.set(key, entry);
    if (!pod.spec?.nodeName) void bind(pod);
    const c = pod.spec!.containers[0];
    const launch = simulatorLaunch(c, podIp, opts.simulatorCommand, process.env);
    if (launch === null) {
      writeStatus(pod, podIp, { state: 'waiting', ready: false, restarts: 0, reason: `the stand-in kubelet runs only mi-engine-sim, not ${c.command?.[0]}` });
      return;
    }
    const http = c.readinessProbe?.httpGet;
    const port = typeof http?.port === 'number' ? http.port : containerPort(c);
    const restartPolicy = (pod.spec?.restartPolicy ?? 'Always') as 'Always' | 'OnFailure' | 'Never';
    entry.runner = startContainer({
      launch,
      probeUrl: http ? `http://${podIp}:${port}${http.path ?? '/'}` : undefined,
      probePeriodMs: opts.probePeriodMs ?? 250,
      restartPolicy,
      restartBackoffMs: opts.restartBackoffMs ?? 500,
      onChange: (run) => writeStatus(pod, podIp, run),
      now: () => new Date().toISOString(),
    });
    log.info('pod started', { pod: key, podIp, pid: entry.runner.pid() });
  }

  async function remove(pod: V1Pod, finalize: boolean): Promise<void> {
    const key = keyOf(pod);
    const r = pods.get(key);
    if (r === undefined || r.uid !== (pod.metadata?.uid ?? '')) return;
    pods.delete(key);
    await r.runner?.kill(opts.killGraceMs ?? 2000);
    log.info('pod stopped', { pod: key });
    // A graceful delete waits for the kubelet: confirm it with grace 0, as the real one does.
    if (finalize) await core.deleteNamespacedPod({ namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, gracePeriodSeconds: 0 }).catch(() => undefined);
  }

  function onPod(pod: V1Pod): void {
    if (stopped) return;
    if (pod.spec?.nodeName && pod.spec.nodeName !== node) return;
    const key = keyOf(pod);
    if (pod.metadata?.deletionTimestamp != null) {
      void remove(pod, true);
      return;
    }
    let r = pods.get(key);
    // Same name, new uid: the old Pod is gone (remove() forgets it synchronously).
    if (r !== undefined && r.uid !== (pod.metadata?.uid ?? '')) {
      void remove({ ...pod, metadata: { ...pod.metadata, uid: r.uid } }, false);
      r = undefined;
    }
    if (r === undefined && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed') start(pod);
  }

  informer.on('add', onPod);
  informer.on('update', onPod);
  informer.on('delete', (pod) => void remove(pod, false));
  informer.on('error', (err) => {
    if (stopped) return;
    log.warn('pod watch failed; restarting', { error: (err as Error)?.message });
    setTimeout(() => void informer.start().catch(() => undefined), 500).unref();
  });
  void informer.start().catch((err: unknown) => log.warn('pod list failed', { error: (err as Error).message }));

  return {
    running: () => [...pods.entries()].map(([key, r]) => ({ key, podIp: r.podIp, pid: r.runner?.pid() })),
    async stop() {
      stopped = true;
      await informer.stop();
      await Promise.all([...pods.values()].map((r) => r.runner?.kill(opts.killGraceMs ?? 2000)));
      pods.clear();
      await Promise.all(chains.values());
    },
  };
}
