// Envelopes read by the runners -> the fold events of the controllers and the projector.
import {
  ENDPOINT_OBSERVATION,
  INSTANCE_OBSERVATION,
  INSTANCES_DECISION,
  RESOURCE_APPLIED,
  RESOURCE_DELETED,
  type EndpointObservation,
  type InstanceObservation,
  type InstancesDecision,
} from '@matrixinfer/events';
import type { AnyResource } from '../types.js';
import type { TailedEvent } from './tail.js';

/** Envelope type of a model controller decision on mi.decisions.model.<ns>.<model>. */
export const MODEL_DECISION = 'model.children';

/** A desired resource event (tombstone: resource null), or null when the envelope is not one. */
export function resourceEvent(ev: TailedEvent): { kind: string; namespace: string; name: string; revision: number; resource: AnyResource | null } | null {
  const t = ev.envelope.type;
  if (t !== RESOURCE_APPLIED && t !== RESOURCE_DELETED) return null;
  const data = ev.envelope.data as AnyResource;
  // As the resource store reads it: resourceVersion is the stream sequence.
  const live = t === RESOURCE_DELETED ? null : { ...data, metadata: { ...data.metadata, resourceVersion: String(ev.seq) } };
  return { kind: data.kind, namespace: data.metadata.namespace ?? 'default', name: data.metadata.name, revision: ev.seq, resource: live };
}

/** The observation of an instance envelope, or null. */
export function observationEvent(ev: TailedEvent): InstanceObservation | null {
  return ev.envelope.type === INSTANCE_OBSERVATION ? (ev.envelope.data as InstanceObservation) : null;
}

/** The endpoint controller's observation of an endpoint envelope, or null. */
export function endpointObservationEvent(ev: TailedEvent): EndpointObservation | null {
  return ev.envelope.type === ENDPOINT_OBSERVATION ? (ev.envelope.data as EndpointObservation) : null;
}

/** The instance decision of an infer decision envelope, or null. */
export function instancesDecisionEvent(ev: TailedEvent): InstancesDecision | null {
  return ev.envelope.type === INSTANCES_DECISION ? (ev.envelope.data as InstancesDecision) : null;
}
