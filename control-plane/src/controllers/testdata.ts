// Builders of test resources shared by the controller and projector tests.
import type { InstanceObservation, InstanceSpec } from '@matrixinfer/events';
import { API_GROUPS, type Model, type ModelBackend, type ModelInfer, type Role } from './types.js';

/** A Model with the given backends (default: one simulated vLLM server backend). */
export function makeModel(name: string, backends?: Partial<ModelBackend>[], extra: Partial<Model['metadata']> = {}): Model {
  const bs: ModelBackend[] = (backends ?? [{}]).map((b, i) => ({
    name: `b${i}`,
    type: 'vLLM' as const,
    modelURI: 'hf://test/model',
    minReplicas: 1,
    maxReplicas: 4,
    workers: [{ type: 'server' as const }],
    ...b,
  }));
  return { apiVersion: API_GROUPS.registry, kind: 'Model', metadata: { name, namespace: 'default', ...extra }, spec: { backends: bs } };
}

/** A role with a simulator entry container. */
export function makeRole(name: string, args: string[] = [], extra: Partial<Role> = {}): Role {
  return { name, replicas: 1, entryTemplate: { spec: { containers: [{ name: 'engine', image: 'sim', command: ['mi-engine-sim'], args }] } }, ...extra };
}

/** A ModelInfer with `replicas` groups of the given roles. */
export function makeInfer(name: string, replicas: number, roles: Role[] = [makeRole('server')], spec: Partial<ModelInfer['spec']> = {}): ModelInfer {
  return {
    apiVersion: API_GROUPS.workload,
    kind: 'ModelInfer',
    metadata: { name, namespace: 'default', generation: 1 },
    spec: { replicas, template: { roles }, ...spec },
  };
}

/** An observation of `i` in `phase` at `timeMs`, echoing its revision and incarnation. */
export function observe(i: InstanceSpec, phase: InstanceObservation['phase'], timeMs: number, port = 9000): InstanceObservation {
  const o: InstanceObservation = { instance: i.name, namespace: i.namespace, modelInfer: i.modelInfer, phase, revision: i.revision, labels: i.labels, timeMs };
  if (i.incarnation) o.incarnation = i.incarnation;
  if (phase === 'ready') o.address = `http://127.0.0.1:${port}`;
  if (phase === 'failed') o.reason = 'process crashed';
  return o;
}
