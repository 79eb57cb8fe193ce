// Leader election as it runs: every retry period the candidate reads the Lease and creates,
// renews or takes it over (replace with the read resourceVersion, so two candidates racing
// for it get one 409); leadership starts on a successful write and ends when renewals fail
// for longer than the renew deadline or another holder is seen. stop() releases a held lease,
// so a standby takes over at once instead of after a lease duration.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import { apiStatusOf } from '../actuator/errors.js';
import { leaseStep, observe, type LeaseRecord, type ObservedRecord } from './plan.js';

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Lease name (default matrixinfer-controller). */
  name?: string;
  /** This candidate's identity (the Pod name). */
  identity: string;
  logger: Logger;
  /** Defaults 15 s, 10 s and 2 s, as client-go's. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  now?: () => number;
  onStartedLeading: () => void | Promise<void>;
  onStoppedLeading: (reason: string) => void | Promise<void>;
}

/** A running candidate. */
export interface LeaderElection {
  isLeader(): boolean;
  /** Stops campaigning; releases a held lease unless `release: false` (tests play a crash with it). */
  stop(opts?: { release?: boolean }): Promise<void>;
}

function recordOf(l: V1Lease): LeaseRecord {
  const t = l.spec?.renewTime;
  return { holder: l.spec?.holderIdentity ?? undefined, renewMs: t ? new Date(t).getTime() : undefined };
}

/** Starts campaigning; callbacks run on the election loop (one at a time). */
export function startLeaderElection(o: LeaderElectionOptions): LeaderElection {
  const api = o.kubeConfig.makeApiClient(CoordinationV1Api);
  const name = o.name ?? 'matrixinfer-controller';
  const durationMs = o.leaseDurationMs ?? 15_000;
  const deadlineMs = o.renewDeadlineMs ?? 10_000;
  const retryMs = o.retryPeriodMs ?? 2_000;
  const now = o.now ?? Date.now;
  const log = o.logger.child({ component: 'leader-election', lease: `${o.namespace}/${name}`, identity: o.identity });
  let leading = false;
  let lastRenewMs = 0;
  let seen: ObservedRecord | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;

  const spec = (l: V1Lease | undefined, takeover: boolean) => {
    const t = new V1MicroTime(now());
    const prev = l?.spec ?? {};
    return {
      holderIdentity: o.identity,
      leaseDurationSeconds: Math.ceil(durationMs / 1000),
      acquireTime: takeover || !l ? t : prev.acquireTime,
      renewTime: t,
      // A new lease starts at 0; each change of holder counts one.
      leaseTransitions: l === undefined ? 0 : (prev.leaseTransitions ?? 0) + (takeover ? 1 : 0),
    };
  };

  async function lose(reason: string): Promise<void> {
    if (!leading) return;
    leading = false;
    log.warn('stopped leading', { reason });
    await o.onStoppedLeading(reason);
  }

  async function round(): Promise<void> {
    let lease: V1Lease | null;
    try {
      lease = await api.readNamespacedLease({ name, namespace: o.namespace });
    } catch (err) {
      if (apiStatusOf(err) !== 404) throw err;
      lease = null;
    }
    const record = lease === null ? null : recordOf(lease);
    seen = observe(seen, record, now());
    const step = leaseStep(o.identity, record, seen, now(), durationMs);
    if (step.op === 'wait') {
      if (leading) await lose(`the lease is held by ${step.holder}`);
      else log.debug('standing by', { holder: step.holder, expiresInMs: step.expiresInMs });
      return;
    }
    if (step.op === 'create') {
      await api.createNamespacedLease({ namespace: o.namespace, body: { metadata: { name, namespace: o.namespace }, spec: spec(undefined, true) } });
    } else {
      const body: V1Lease = { ...lease!, spec: spec(lease!, step.op === 'takeover') };
      await api.replaceNamespacedLease({ name, namespace: o.namespace, body });
    }
    lastRenewMs = now();
    if (!leading) {
      leading = true;
      log.info('started leading', { via: step.op });
      await o.onStartedLeading();
    }
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        await round();
      } catch (err) {
        const status = apiStatusOf(err);
        if (status !== 409) log.warn('lease request failed', { error: (err as Error).message, status });
        if (leading && now() - lastRenewMs > deadlineMs) await lose(`could not renew the lease for ${deadlineMs} ms`);
      }
      if (stopped) break;
      await new Promise<void>((r) => {
        const t = setTimeout(r, retryMs);
        wake = () => (clearTimeout(t), r());
      });
    }
  })();

  return {
    isLeader: () => leading,
    async stop(opts = {}) {
      stopped = true;
      wake?.();
      await loop;
      if (!leading) return;
      leading = false;
      if (opts.release === false) return;
      // Release: an empty holder lets a standby take over on its next round.
      try {
        const lease = await api.readNamespacedLease({ name, namespace: o.namespace });
        if (lease.spec?.holderIdentity === o.identity) await api.replaceNamespacedLease({ name, namespace: o.namespace, body: { ...lease, spec: { ...lease.spec, holderIdentity: '', renewTime: new V1MicroTime(now()) } } });
      } catch (err) {
        log.warn('could not release the lease', { error: (err as Error).message });
      }
    },
  };
}
