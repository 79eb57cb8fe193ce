// Shapes shared by the test API server's cores: a stored object, a resource type (built-in or
// from a CRD) and the structural schema subset CRDs use.
import type { OwnerReference } from '@matrixinfer/schemas';

/** Any stored Kubernetes object (JSON). */
export type KObject = Record<string, unknown> & { apiVersion?: string; kind?: string; metadata?: KMeta };

/** The metadata fields the server reads or writes. */
export interface KMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: ManagedFieldsEntry[];
  [k: string]: unknown;
}

/** metadata.ownerReferences[] entry: the one type the schemas package declares. */
export type { OwnerReference } from '@matrixinfer/schemas';

/** metadata.managedFields[] entry (fieldsV1 is the server-side apply field set). */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** An OpenAPI v3 structural schema node (the keywords CRDs use). */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  anyOf?: Schema[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: { rule: string; message?: string; messageExpression?: string; reason?: string; fieldPath?: string }[];
}

/** The scale subresource of a CRD version (paths are `.spec.replicas`-style). */
export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** additionalPrinterColumns entry. */
export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

/** One servable resource: where it lives, what it is called and how it behaves. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Subresources besides the object itself. */
  status: boolean;
  scale?: ScaleSubresource;
  /** pods/binding. */
  binding?: boolean;
  /** Built-in kinds accept strategic-merge-patch; custom resources do not. */
  builtin: boolean;
  /** Structural schema (CRDs), checked, pruned and defaulted on every write. */
  schema?: Schema;
  printerColumns: PrinterColumn[];
  /** Name of the CRD this came from. */
  crd?: string;
}

/** `apps/v1` or `v1`. */
export function apiVersionOf(t: { group: string; version: string }): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** `deployments.apps` or `pods`: the group-resource name errors use. */
export function groupResource(t: { group: string; plural: string }): string {
  return t.group === '' ? t.plural : `${t.plural}.${t.group}`;
}
