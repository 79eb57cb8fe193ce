// Materialized status for `mi get` and the Kubernetes status write-back: one `mi-status` value
// per Model, ModelInfer and ModelServer, the status object itself as JSON. No timestamps, so
// rebuilding gives the same bytes.
import { statusKey, type InstanceObservation } from '@matrixinfer/events';
import { InvalidResourceError } from '../controllers/errors.js';
import { inferStatus } from '../controllers/infer/status.js';
import { nsKey } from '../controllers/keys.js';
import { expandModel } from '../controllers/model/expand.js';
import { modelStatus } from '../controllers/model/status.js';
import { namespaceOf, type Model, type ModelInfer, type ModelInferStatus, type ModelServer } from '../controllers/types.js';
import { endpointsOf } from './routes.js';
import { resourcesOfKind, type ProjectorState } from './state.js';

function invalidReason(model: Model): string | undefined {
  try {
    expandModel(model);
    return undefined;
  } catch (err) {
    if (err instanceof InvalidResourceError) return err.message;
    throw err;
  }
}

/** Every status value by `mi-status` key (`<kind>.<namespace>.<name>`, kind lower-cased). */
export function projectStatus(state: ProjectorState): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const byMi = new Map<string, Map<string, InstanceObservation>>();
  for (const o of state.observed.values()) {
    const k = nsKey(o.namespace, o.modelInfer);
    let m = byMi.get(k);
    if (!m) byMi.set(k, (m = new Map()));
    m.set(o.instance, o);
  }
  const inferStatuses = new Map<string, ModelInferStatus>();
  for (const { resource: mi, revision } of resourcesOfKind<ModelInfer>(state, 'ModelInfer')) {
    const k = nsKey(namespaceOf(mi), mi.metadata.name);
    const st = inferStatus(mi, state.decisions.get(k)?.instances ?? [], byMi.get(k) ?? new Map(), revision);
    inferStatuses.set(k, st);
    out.set(statusKey('ModelInfer', namespaceOf(mi), mi.metadata.name), st);
  }
  for (const { resource: model, revision } of resourcesOfKind<Model>(state, 'Model')) {
    const ns = namespaceOf(model);
    const st = modelStatus(model, (name) => inferStatuses.get(nsKey(ns, name)), invalidReason(model));
    out.set(statusKey('Model', ns, model.metadata.name), { observedGeneration: model.metadata.generation ?? revision, ...st });
  }
  for (const { resource: server, revision } of resourcesOfKind<ModelServer>(state, 'ModelServer')) {
    const eps = endpointsOf(state, server);
    out.set(statusKey('ModelServer', namespaceOf(server), server.metadata.name), {
      observedGeneration: server.metadata.generation ?? revision,
      readyEndpoints: eps.length,
    });
  }
  return out;
}
