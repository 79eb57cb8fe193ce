// Public entry of the controllers: start the model and infer controllers on a NATS
// connection; the pure folds for tools and tests.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ensureBuckets, ensureStreams } from '@matrixinfer/events';
import type { Logger } from 'winston';
import type { ControlPlaneMetrics } from '../observability/metrics.js';
import { startInferRunner } from './runner/infer-runner.js';
import { startModelRunner } from './runner/model-runner.js';

export interface StartControllersOptions {
  nc: NatsConnection;
  logger: Logger;
  /** Clock in epoch ms; default Date.now. */
  now?: () => number;
  /** Create the streams and buckets when missing (idempotent); default true. */
  ensure?: boolean;
  /** Reconciles, decisions and tail lag are recorded here (none: not recorded). */
  metrics?: ControlPlaneMetrics;
}

/** Starts the model and infer controllers; resolves once both have caught up with the streams. */
export async function startControllers(opts: StartControllersOptions): Promise<{ stop(): Promise<void> }> {
  const js = jetstream(opts.nc);
  const jsm = await jetstreamManager(opts.nc);
  if (opts.ensure !== false) {
    await ensureStreams(jsm);
    await ensureBuckets(js, jsm);
  }
  const infer = await startInferRunner({ js, logger: opts.logger, now: opts.now, metrics: opts.metrics });
  let model: { stop(): Promise<void> };
  try {
    model = await startModelRunner({ js, jsm, logger: opts.logger, now: opts.now, metrics: opts.metrics });
  } catch (err) {
    await infer.stop();
    throw err;
  }
  return {
    async stop() {
      await model.stop();
      await infer.stop();
    },
  };
}

export { expandModel, servedModelName, configToArgs, MODEL_LABEL, BACKEND_LABEL, ENGINE_ANNOTATION, SIMULATOR_COMMAND, SIMULATOR_IMAGE } from './model/expand.js';
export { foldModel, initialModelState, type ModelDecision, type ResourceWrite, type ModelControllerEvent, type ModelControllerState } from './model/fold.js';
export { modelStatus, type ModelStatus } from './model/status.js';
export { foldInfer, initialInferState, type InferControllerEvent, type InferControllerState, type InferDecision } from './infer/fold.js';
export { reconcileInfer, type InferInputs, type InferOutcome } from './infer/reconcile.js';
export { inferStatus } from './infer/status.js';
export { renderGroup, instanceName } from './infer/instances.js';
export { MODEL_DECISION } from './runner/events.js';
export { ControllerError, InvalidResourceError as ControllerInvalidResourceError } from './errors.js';
