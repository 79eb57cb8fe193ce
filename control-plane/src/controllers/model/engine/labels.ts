// Labels and annotations the Model controller puts on what it derives. The four
// `registry.matrixinfer.ai/*-name|uid|revision` labels are MatrixInfer's; the short
// `registry.matrixinfer.ai/model` and `/backend` labels are ours from before and stay, because
// the autoscaler and stored children already select on them.

/** The name of the owning Model (ours, kept for stored children and the autoscaler). */
export const MODEL_LABEL = 'registry.matrixinfer.ai/model';
/** The backend a per-backend child belongs to (ours, kept like MODEL_LABEL). */
export const BACKEND_LABEL = 'registry.matrixinfer.ai/backend';
/** MatrixInfer's label of the owning Model's name. */
export const MODEL_NAME_LABEL = 'registry.matrixinfer.ai/model-name';
/** MatrixInfer's label of the backend name. */
export const BACKEND_NAME_LABEL = 'registry.matrixinfer.ai/backend-name';
/** MatrixInfer's label of the owning Model's uid. */
export const MODEL_UID_LABEL = 'registry.matrixinfer.ai/model-uid';
/** MatrixInfer's label of the revision (content hash) of the spec the child was derived from. */
export const REVISION_LABEL = 'registry.matrixinfer.ai/revision';
/** ModelInfer annotation the infer controller reads to tag instances with their engine. */
export const ENGINE_ANNOTATION = 'modelinfer.matrixinfer.ai/engine';
/**
 * Pod template annotation: JSON argv of `mi-engine-sim` standing in for the real engine when a
 * machine has none installed (served name, engine, PD role, LoRA adapters, batch limits).
 */
export const SIMULATOR_ARGS_ANNOTATION = 'modelinfer.matrixinfer.ai/simulator-args';

/** Labels of a derived resource, but for REVISION_LABEL (which hashes the finished child). */
export function childLabels(model: { name: string; uid?: string }, backend?: string): Record<string, string> {
  const labels: Record<string, string> = { [MODEL_LABEL]: model.name, [MODEL_NAME_LABEL]: model.name };
  if (backend !== undefined) {
    labels[BACKEND_LABEL] = backend;
    labels[BACKEND_NAME_LABEL] = backend;
  }
  labels[MODEL_UID_LABEL] = model.uid ?? '';
  return labels;
}

/**
 * Labels of a pod template: model and backend only. The uid and revision stay off the pods on
 * purpose: a revision label would change every role's template hash, and so restart every
 * backend's pods, whenever any part of the Model changed.
 */
export function podLabels(model: string, backend: string): Record<string, string> {
  return { [MODEL_LABEL]: model, [MODEL_NAME_LABEL]: model, [BACKEND_NAME_LABEL]: backend };
}
