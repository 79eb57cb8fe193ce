// Model status: aggregated from its children's ModelInfer statuses. Pure; the projector calls
// it when it materializes `mi-status`.
import type { Condition, Model, ModelInferStatus } from '../types.js';
import { backendChildName } from './expand.js';

export interface ModelStatus {
  backendStatuses: { name: string; replicas: number; readyReplicas: number }[];
  conditions: Condition[];
}

function cond(type: string, ok: boolean, reason: string, message: string): Condition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

/**
 * Initialized: every backend's ModelInfer exists. Active: every backend with replicas > 0 has
 * at least one available infer group. Failed: the spec cannot be expanded (`invalid`) or a
 * ModelInfer reports Failed.
 */
export function modelStatus(model: Model, inferStatus: (name: string) => ModelInferStatus | undefined, invalid?: string): ModelStatus {
  const backendStatuses: ModelStatus['backendStatuses'] = [];
  const missing: string[] = [];
  const inactive: string[] = [];
  const failed: string[] = [];
  for (const b of model.spec.backends) {
    const name = backendChildName(model, b);
    const s = inferStatus(name);
    if (!s) {
      missing.push(name);
      backendStatuses.push({ name: b.name, replicas: 0, readyReplicas: 0 });
      continue;
    }
    backendStatuses.push({ name: b.name, replicas: s.replicas, readyReplicas: s.availableReplicas });
    if (s.replicas > 0 && s.availableReplicas < 1) inactive.push(name);
    const f = s.conditions.find((c) => c.type === 'Failed' && c.status === 'True');
    if (f) failed.push(`${name}: ${f.message ?? f.reason ?? 'failed'}`);
  }
  const conditions: Condition[] = [];
  if (invalid) {
    conditions.push(cond('Initialized', false, 'InvalidSpec', invalid));
    conditions.push(cond('Active', false, 'InvalidSpec', invalid));
    conditions.push(cond('Failed', true, 'InvalidSpec', invalid));
    return { backendStatuses, conditions };
  }
  conditions.push(
    missing.length === 0
      ? cond('Initialized', true, 'ChildrenCreated', 'every backend has its ModelInfer, ModelServer and route')
      : cond('Initialized', false, 'ChildrenPending', `waiting for ${missing.join(', ')}`),
  );
  const active = missing.length === 0 && inactive.length === 0;
  conditions.push(
    active ? cond('Active', true, 'Available', 'every backend has an available replica') : cond('Active', false, 'NotAvailable', `no available replica yet: ${[...missing, ...inactive].join(', ')}`),
  );
  conditions.push(failed.length > 0 ? cond('Failed', true, 'ChildFailed', failed.join('; ')) : cond('Failed', false, 'NoFailure', 'no child reports a failure'));
  // Never silently: a backend served by the simulator in place of its engine says so on the Model.
  const simulated = model.spec.backends
    .map((b) => ({ name: backendChildName(model, b), c: inferStatus(backendChildName(model, b))?.conditions.find((c) => c.type === 'Simulated' && c.status === 'True') }))
    .filter((x) => x.c !== undefined);
  if (simulated.length > 0) conditions.push(cond('Simulated', true, 'EngineNotInstalled', simulated.map((x) => `${x.name}: ${x.c!.message ?? 'simulated'}`).join('; ')));
  return { backendStatuses, conditions };
}
