// Runs the model controller fold on NATS: tails Model and child resources on MI_DESIRED and
// its own decisions on MI_DECISIONS, publishes each decision (content-derived id, expected
// last sequence), then applies its writes through the resource store with the base revision
// each write was computed from. Start-up: load the current state (last message per subject),
// re-apply the writes of decisions that were published but not applied, then reconcile all.
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { ConflictError, createResourceStore, decisionSubject, NotFoundError, STREAMS, type ResourceInput, type ResourceStore } from '@matrixinfer/events';
import type { Logger } from 'winston';
import type { ControlPlaneMetrics } from '../../observability/metrics.js';
import { reconcileRecorder } from '../../observability/record.js';
import { CHILD_KINDS, decideModel, inFlightWrites, initialModelState, loadModelEvent, modelKeys, type ModelDecision, type ResourceWrite } from '../model/fold.js';
import { nsKey } from '../keys.js';
import type { TailedEvent } from './tail.js';
import { MODEL_DECISION, resourceEvent } from './events.js';
import { publishNext } from './publish.js';
import { createSerialQueue } from './queue.js';
import { startTail, type Tail } from './tail.js';

export interface ModelRunnerOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  logger: Logger;
  now?: () => number;
  /** Reconciles, decisions and tail lag are recorded here (none: not recorded). */
  metrics?: ControlPlaneMetrics;
}

const SOURCE = 'controller/model';
const RETRY_MS = 1000;
const WATCHED = new Set<string>(['Model', ...CHILD_KINDS]);

/** Starts the model controller; resolves once it has caught up and reconciled every Model. */
export async function startModelRunner(opts: ModelRunnerOptions): Promise<{ stop(): Promise<void> }> {
  const { js, jsm } = opts;
  const logger = opts.logger.child({ component: SOURCE });
  const now = opts.now ?? Date.now;
  const store: ResourceStore = createResourceStore({ js, jsm, source: SOURCE, now });
  const state = initialModelState();
  const queue = createSerialQueue();
  const reconciles = reconcileRecorder(opts.metrics, 'model');
  /** Last decision sequence per decision subject (from read-back and our own acks). */
  const seqs = new Map<string, number>();
  let live = false;
  let stopped = false;

  // `traceparent`: the request that caused the decision; its child writes carry it on (the infer
  // controller's decisions on a ModelInfer written here name the same trace).
  async function applyWrite(w: ResourceWrite, traceparent?: string): Promise<void> {
    try {
      if (w.op === 'apply') {
        const r = await store.apply(w.resource as ResourceInput, { expectedRevision: w.baseRevision, traceparent });
        logger.debug('applied child', { kind: w.kind, name: w.name, namespace: w.namespace, result: r.result });
      } else {
        await store.delete(w.kind, w.namespace, w.name, { expectedRevision: w.baseRevision, traceparent });
        logger.debug('deleted child', { kind: w.kind, name: w.name, namespace: w.namespace });
      }
    } catch (err) {
      // A conflict means the child changed since we decided: its event is on the way and we
      // decide again from it. A missing child is already what a delete wants.
      if (err instanceof ConflictError || err instanceof NotFoundError) {
        logger.debug('child write skipped', { kind: w.kind, name: w.name, op: w.op, code: err.code });
        return;
      }
      logger.error('child write failed', { kind: w.kind, name: w.name, op: w.op, error: (err as Error).message });
    }
  }

  let retryTimer: NodeJS.Timeout | undefined;
  /** After a failed publish: decide every model again a little later. */
  function scheduleRetry(): void {
    if (retryTimer || stopped) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void queue.run(decideAll);
    }, RETRY_MS);
  }

  /** Publishes then applies; on failure the decision is forgotten so it is decided again. */
  async function publishAndApply(d: ModelDecision, prev?: ModelDecision, traceparent?: string): Promise<void> {
    const subject = decisionSubject('model', d.namespace, d.model);
    const key = nsKey(d.namespace, d.model);
    const published = await publishNext({
      js, seqs, logger, metrics: opts.metrics, subject, type: MODEL_DECISION, source: SOURCE, id: d.id, data: d, nowMs: now(), traceparent,
      message: d.reason,
      rollback: () => (prev ? state.published.set(key, prev) : state.published.delete(key)),
      retry: scheduleRetry,
    });
    if (!published) return;
    for (const w of d.writes) await applyWrite(w, traceparent);
  }

  /** Decides for every model the state knows. */
  async function decideAll(): Promise<void> {
    for (const k of modelKeys(state)) {
      const [ns, name] = k.split('/');
      await decideAndAct(ns, name);
    }
  }

  /** Decides for one model and acts on the result; `traceparent` of the event that triggered it. */
  function decideAndAct(namespace: string, name: string, traceparent?: string): Promise<void> {
    return reconciles.run(async () => {
      const prev = state.published.get(nsKey(namespace, name));
      for (const d of decideModel(state, namespace, name)) await publishAndApply(d, prev, traceparent);
    });
  }

  const tails: Tail[] = [];
  const onDesired = (ev: TailedEvent) =>
    queue.run(async () => {
      const r = resourceEvent(ev);
      if (!r || !WATCHED.has(r.kind)) return;
      const target = loadModelEvent(state, { type: 'resource', ...r });
      if (live && target) await decideAndAct(target.namespace, target.name, ev.envelope.traceparent);
    });
  const onDecision = (ev: TailedEvent) =>
    queue.run(() => {
      if (ev.envelope.type !== MODEL_DECISION) return;
      // Our own decisions come back after we acted on them: only a newer one (another
      // replica's) changes what we know.
      if (ev.seq <= (seqs.get(ev.subject) ?? 0)) return;
      seqs.set(ev.subject, ev.seq);
      loadModelEvent(state, { type: 'decision', decision: ev.envelope.data as ModelDecision });
    });

  tails.push(await startTail({ js, stream: STREAMS.desired, filter: 'mi.desired.>', logger, onEvent: onDesired, metrics: opts.metrics, consumer: `${SOURCE}:mi.desired.>` }));
  tails.push(await startTail({ js, stream: STREAMS.decisions, filter: 'mi.decisions.model.>', logger, onEvent: onDecision, metrics: opts.metrics, consumer: `${SOURCE}:mi.decisions.model.>` }));
  await Promise.all(tails.map((t) => t.caughtUp));
  await queue.run(async () => {
    live = true;
    // Decisions published before a crash whose writes never reached the store.
    for (const m of [...state.published.values()]) {
      const pending = inFlightWrites(state, m.namespace, m.model);
      if (pending.length > 0) logger.info(`re-applying ${pending.length} write(s) of an earlier decision`, { model: m.model, namespace: m.namespace, id: m.id });
      for (const w of pending) await applyWrite(w);
    }
    await decideAll();
  });
  logger.info('model controller running', { models: state.models.size });
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      await Promise.all(tails.map((t) => t.stop()));
      await queue.idle();
    },
  };
}
