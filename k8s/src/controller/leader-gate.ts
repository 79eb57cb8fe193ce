// Runs a list of control-plane parts only while this replica holds the leader Lease, so two
// `mi controller` replicas never both ingest, decide or create Pods. The gate itself starts at
// once (the read-only API and health endpoints serve on standbys too); the parts start in
// order when leadership is won and stop in reverse order when it is lost or the gate stops.
import type { ComponentStarter, RunningComponent } from '@matrixinfer/control-plane';
import type { KubeConfig } from '@kubernetes/client-node';
import { startLeaderElection } from '../leader/runner.js';

export interface LeaderGateOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  identity: string;
  leaseName?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** The parts to run while leading. */
  parts: ComponentStarter[];
  /** Leadership was lost (the process should exit, as client-go's controllers do). */
  onLost: (reason: string) => void;
}

/** One ComponentStarter holding `parts` behind the election. */
export function leaderGate(o: LeaderGateOptions): ComponentStarter {
  return {
    name: 'leader-election',
    async start(ctx): Promise<RunningComponent> {
      const log = ctx.logger.child({ component: 'leader-gate' });
      const running: { name: string; c: RunningComponent }[] = [];
      const stopParts = async () => {
        for (const { name, c } of running.splice(0).reverse()) await c.stop().catch((err: Error) => log.warn('component stop failed', { name, error: err.message }));
      };
      const election = startLeaderElection({
        kubeConfig: o.kubeConfig,
        namespace: o.namespace,
        name: o.leaseName,
        identity: o.identity,
        logger: ctx.logger,
        leaseDurationMs: o.leaseDurationMs,
        renewDeadlineMs: o.renewDeadlineMs,
        retryPeriodMs: o.retryPeriodMs,
        async onStartedLeading() {
          try {
            for (const p of o.parts) {
              running.push({ name: p.name, c: await p.start(ctx) });
              log.info('component started', { name: p.name });
            }
          } catch (err) {
            log.error('a component failed to start while leading', { error: (err as Error).message });
            await stopParts();
            o.onLost(`starting the components failed: ${(err as Error).message}`);
          }
        },
        async onStoppedLeading(reason) {
          await stopParts();
          o.onLost(reason);
        },
      });
      return {
        async stop() {
          await stopParts();
          await election.stop();
        },
      };
    },
  };
}
