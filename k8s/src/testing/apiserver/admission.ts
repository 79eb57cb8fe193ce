// Runs the optional admission hook the way kube-apiserver orders it: mutating (its object
// replaces the incoming one), then the caller's schema validation, then validating; a denial
// becomes the Status the client sees, warnings are collected for `Warning` headers.
import { TEST_USER, type AdmissionAttributes, type AdmissionCaller } from './admission-types.js';
import { fail } from './status.js';
import { groupResource, type KObject, type ResourceType } from './types.js';

/** What one write asks admission about. */
export interface AdmissionRequest {
  rt: ResourceType;
  operation: AdmissionAttributes['operation'];
  subResource: string;
  namespace: string;
  name: string;
  object?: KObject;
  oldObject?: KObject;
  dryRun: boolean;
  /** Kind admitted when it differs from rt (autoscaling/v1 Scale, v1 Binding). */
  kind?: { group: string; version: string; kind: string };
}

async function run(caller: AdmissionCaller | undefined, phase: AdmissionAttributes['phase'], r: AdmissionRequest, warnings: string[]): Promise<KObject | undefined> {
  if (!caller) return r.object;
  const out = await caller({
    phase,
    operation: r.operation,
    kind: r.kind ?? { group: r.rt.group, version: r.rt.version, kind: r.rt.kind },
    resource: { group: r.rt.group, version: r.rt.version, resource: r.rt.plural },
    subResource: r.subResource,
    namespace: r.rt.namespaced ? r.namespace : '',
    name: r.name,
    object: r.object === undefined ? undefined : structuredClone(r.object),
    oldObject: r.oldObject === undefined ? undefined : structuredClone(r.oldObject),
    dryRun: r.dryRun,
    userInfo: TEST_USER,
  });
  warnings.push(...out.warnings);
  if (!out.allowed) {
    const s = out.status;
    throw fail.admission(s?.code, s?.reason, s?.message ?? `admission denied the request on ${groupResource(r.rt)} "${r.name}"`);
  }
  return phase === 'mutating' && out.object !== undefined ? (out.object as KObject) : r.object;
}

/** The mutating phase: the object to continue with. */
export function mutate(caller: AdmissionCaller | undefined, r: AdmissionRequest, warnings: string[]): Promise<KObject | undefined> {
  return run(caller, 'mutating', r, warnings);
}

/** The validating phase: throws the denial, returns nothing. */
export async function validateAdmission(caller: AdmissionCaller | undefined, r: AdmissionRequest, warnings: string[]): Promise<void> {
  await run(caller, 'validating', r, warnings);
}
