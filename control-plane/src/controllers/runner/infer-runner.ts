// Runs the infer controller fold on NATS: tails ModelInfers on MI_DESIRED, instance
// observations on MI_OBSERVED and its own decisions on MI_DECISIONS; publishes each
// InstancesDecision with its chained, content-derived id and the expected last sequence of the
// subject. A timer wakes the fold when a restart grace period ends. Start-up: load the current
// state (last message per subject), then decide every ModelInfer once with the real clock.
import type { JetStreamClient } from '@nats-io/jetstream';
import { decisionSubject, INSTANCES_DECISION, STREAMS, type InstancesDecision } from '@matrixinfer/events';
import type { Logger } from 'winston';
import type { ControlPlaneMetrics } from '../../observability/metrics.js';
import { reconcileRecorder } from '../../observability/record.js';
import { decideInfer, inferKeys, initialInferState, loadInferEvent, nextWakeMs, type InferDecision } from '../infer/fold.js';
import { nsKey } from '../keys.js';
import type { ModelInfer } from '../types.js';
import { instancesDecisionEvent, observationEvent, resourceEvent } from './events.js';
import { publishNext } from './publish.js';
import { createSerialQueue } from './queue.js';
import { startTail, type Tail, type TailedEvent } from './tail.js';

export interface InferRunnerOptions {
  js: JetStreamClient;
  logger: Logger;
  now?: () => number;
  /** Reconciles, decisions and tail lag are recorded here (none: not recorded). */
  metrics?: ControlPlaneMetrics;
}

const SOURCE = 'controller/infer';
const RETRY_MS = 1000;

/** Starts the infer controller; resolves once it has caught up and decided every ModelInfer. */
export async function startInferRunner(opts: InferRunnerOptions): Promise<{ stop(): Promise<void> }> {
  const { js } = opts;
  const logger = opts.logger.child({ component: SOURCE });
  const now = opts.now ?? Date.now;
  const state = initialInferState();
  const queue = createSerialQueue();
  const reconciles = reconcileRecorder(opts.metrics, 'infer');
  const seqs = new Map<string, number>();
  const logged = new Map<string, string>();
  let live = false;
  let stopped = false;
  let wakeTimer: NodeJS.Timeout | undefined;
  let wakeAt: number | undefined;

  function armTimer(): void {
    if (stopped) return;
    const at = nextWakeMs(state);
    if (at === wakeAt) return;
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeTimer = undefined;
    wakeAt = at;
    if (at === undefined) return;
    wakeTimer = setTimeout(() => {
      wakeTimer = undefined;
      wakeAt = undefined;
      void queue.run(() => decideKeys(inferKeys(state)));
    }, Math.max(0, at - now()));
  }

  async function publish(d: InferDecision, key: string, prev: { id: string; instances: InstancesDecision['instances'] } | undefined, traceparent: string | undefined): Promise<void> {
    const subject = decisionSubject('infer', d.decision.namespace, d.decision.modelInfer);
    await publishNext({
      js, seqs, logger, metrics: opts.metrics, subject, type: INSTANCES_DECISION, source: SOURCE, id: d.id, data: d.decision, nowMs: now(), traceparent,
      message: d.decision.reason,
      fields: { instances: d.decision.instances.length },
      rollback: () => (prev ? state.published.set(key, prev) : state.published.delete(key)),
      retry: () => {
        if (!stopped) setTimeout(() => void queue.run(() => decideKeys([key])), RETRY_MS).unref();
      },
    });
  }

  // `traceparent`: of the desired event that triggered this pass (none for timers and observations).
  async function decideKey(key: string, traceparent?: string): Promise<void> {
    const prev = state.published.get(key);
    const decisions = decideInfer(state, key, now());
    const p = state.pending.get(key);
    const note = p?.invalid ?? p?.waiting;
    // "Cannot decide yet" is a state: logged once per change, at debug.
    if (note && logged.get(key) !== note) logger.debug(note, { modelInfer: key });
    if (note) logged.set(key, note);
    else logged.delete(key);
    for (const d of decisions) await publish(d, key, prev, traceparent);
  }

  async function decideKeys(keys: string[], traceparent?: string): Promise<void> {
    for (const key of keys) await reconciles.run(() => decideKey(key, traceparent));
    armTimer();
  }

  const onDesired = (ev: TailedEvent) =>
    queue.run(async () => {
      const r = resourceEvent(ev);
      if (!r || r.kind !== 'ModelInfer') return;
      const key = loadInferEvent(state, { type: 'resource', namespace: r.namespace, name: r.name, revision: r.revision, resource: r.resource as ModelInfer | null });
      if (live && key) await decideKeys([key], ev.envelope.traceparent);
    });
  const onObserved = (ev: TailedEvent) =>
    queue.run(async () => {
      const o = observationEvent(ev);
      if (!o) return;
      const key = loadInferEvent(state, { type: 'observation', observation: o });
      if (live && key) await decideKeys([key]);
    });
  const onDecision = (ev: TailedEvent) =>
    queue.run(async () => {
      const d = instancesDecisionEvent(ev);
      if (!d) return;
      // Our own decisions come back after we published them; only a newer one counts.
      if (ev.seq <= (seqs.get(ev.subject) ?? 0)) return;
      seqs.set(ev.subject, ev.seq);
      loadInferEvent(state, { type: 'decision', id: ev.envelope.id, decision: d });
      if (live) await decideKeys([nsKey(d.namespace, d.modelInfer)]);
    });

  const tails: Tail[] = [];
  tails.push(await startTail({ js, stream: STREAMS.desired, filter: 'mi.desired.modelinfer.>', logger, onEvent: onDesired, metrics: opts.metrics, consumer: `${SOURCE}:mi.desired.modelinfer.>` }));
  tails.push(await startTail({ js, stream: STREAMS.observed, filter: 'mi.observed.instance.>', logger, onEvent: onObserved, metrics: opts.metrics, consumer: `${SOURCE}:mi.observed.instance.>` }));
  tails.push(await startTail({ js, stream: STREAMS.decisions, filter: 'mi.decisions.infer.>', logger, onEvent: onDecision, metrics: opts.metrics, consumer: `${SOURCE}:mi.decisions.infer.>` }));
  await Promise.all(tails.map((t) => t.caughtUp));
  await queue.run(async () => {
    live = true;
    await decideKeys(inferKeys(state));
  });
  logger.info('infer controller running', { modelInfers: state.modelInfers.size });
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      if (wakeTimer) clearTimeout(wakeTimer);
      await Promise.all(tails.map((t) => t.stop()));
      await queue.idle();
    },
  };
}
