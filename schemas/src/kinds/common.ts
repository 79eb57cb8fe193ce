// Shared JSON Schema definitions (draft-07) used by every kind: object metadata, conditions,
// names, durations, quantities, env vars and resource requirements. Kind schemas point here
// with `$ref: '#/definitions/<Name>'`; the bundle in ../bundle.ts puts all definitions together.
//
// Annotation keywords understood by our tooling (ignored by JSON Schema itself):
// - `x-message`: how a person should read the constraint ("must be a duration like ...");
//   used for pattern/anyOf errors, stripped from the CRDs.
// - `x-kubernetes-*`: copied as-is into the CRDs.
import type { JsonSchema } from './types.js';

/** DNS-1123 label: what Kubernetes accepts as a name, and also a safe NATS subject token. */
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS_LABEL_MESSAGE =
  'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters';

/** Go-style duration as Kubernetes and Kthena write them: "500ms", "30s", "1m30s", "2h". */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
export const DURATION_MESSAGE = 'must be a duration like "500ms", "30s", "1m30s" or "2h"';

const dnsLabel: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 63,
  pattern: DNS_LABEL_PATTERN,
  'x-message': DNS_LABEL_MESSAGE,
};

const stringMap: JsonSchema = { type: 'object', additionalProperties: { type: 'string' } };

export const commonDefinitions: Record<string, JsonSchema> = {
  Name: { ...dnsLabel, description: 'A DNS-1123 label (also a safe NATS subject token).' },
  ModelName: {
    type: 'string',
    minLength: 1,
    maxLength: 253,
    // Model names are keys of the mi-routes KV bucket: NATS key characters, no empty dot tokens.
    // (No lookahead: the same pattern goes into the CRDs, and Kubernetes uses RE2.)
    pattern: '^[-/_=A-Za-z0-9]+(\\.[-/_=A-Za-z0-9]+)*$',
    'x-message': 'must be a model name of letters, digits, "-", "_", "/", "=" and single dots between them (it becomes a key of the mi-routes bucket)',
    description: 'A model name as clients send it in "model", e.g. "meta-llama/Llama-3.1-8B-Instruct".',
  },
  AdapterName: {
    type: 'string',
    minLength: 1,
    maxLength: 253,
    pattern: '^[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?$',
    'x-message': 'must be a LoRA adapter name: letters, digits, "-" and "_", starting and ending with a letter or digit (no dots, spaces or wildcards)',
    description: 'A LoRA adapter name as clients send it in "model".',
  },
  Duration: {
    type: 'string',
    pattern: DURATION_PATTERN,
    'x-message': DURATION_MESSAGE,
    description: 'A duration such as "30s" or "1m30s".',
  },
  StringMap: { ...stringMap, description: 'String keys to string values (labels, selectors).' },
  Quantity: {
    description: 'A Kubernetes quantity: a number or a string like "500m", "16Gi", "1".',
    anyOf: [
      { type: 'number' },
      { type: 'string', pattern: '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+|[KMGTPE]i?|[mkMGTPE])?$' },
    ],
    'x-message': 'must be a quantity: a number or a string like "500m", "16Gi" or "2"',
    'x-kubernetes-int-or-string': true,
  },
  IntOrPercent: {
    description: 'An absolute number or a percentage string such as "25%".',
    anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]+%$' }],
    'x-message': 'must be a non-negative integer or a percentage like "25%"',
    'x-kubernetes-int-or-string': true,
  },
  EnvVar: {
    title: 'EnvVar',
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1, pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$', 'x-message': 'must be an environment variable name (letters, digits, "_", "-", ".", not starting with a digit)' },
      value: { type: 'string' },
      valueFrom: {
        type: 'object',
        additionalProperties: true,
        description: 'Kubernetes EnvVarSource (secretKeyRef, configMapKeyRef, ...), passed through.',
      },
    },
  },
  ResourceRequirements: {
    title: 'ResourceRequirements',
    type: 'object',
    additionalProperties: false,
    properties: {
      limits: { type: 'object', additionalProperties: { $ref: '#/definitions/Quantity' } },
      requests: { type: 'object', additionalProperties: { $ref: '#/definitions/Quantity' } },
    },
  },
  OwnerReference: {
    title: 'OwnerReference',
    type: 'object',
    required: ['apiVersion', 'kind', 'name', 'uid'],
    additionalProperties: false,
    properties: {
      apiVersion: { type: 'string', minLength: 1 },
      kind: { type: 'string', minLength: 1 },
      name: { type: 'string', minLength: 1 },
      uid: { type: 'string', minLength: 1 },
      controller: { type: 'boolean' },
      blockOwnerDeletion: { type: 'boolean' },
    },
  },
  ObjectMeta: {
    title: 'ObjectMeta',
    type: 'object',
    required: ['name'],
    // Kubernetes adds fields of its own (managedFields, finalizers, ...): keep them, do not fail.
    additionalProperties: true,
    properties: {
      name: { $ref: '#/definitions/Name' },
      namespace: { $ref: '#/definitions/Name', default: 'default' },
      labels: { $ref: '#/definitions/StringMap' },
      annotations: { $ref: '#/definitions/StringMap' },
      uid: { type: 'string', description: 'Set by the server.' },
      resourceVersion: { type: 'string', description: 'Set by the server: sequence of the last change.' },
      generation: { type: 'integer', minimum: 0, description: 'Set by the server: bumped on every spec change.' },
      creationTimestamp: { type: 'string', format: 'date-time' },
      deletionTimestamp: { type: 'string', format: 'date-time' },
      ownerReferences: { type: 'array', items: { $ref: '#/definitions/OwnerReference' } },
      finalizers: { type: 'array', items: { type: 'string' } },
    },
  },
  Condition: {
    title: 'Condition',
    type: 'object',
    required: ['type', 'status'],
    additionalProperties: false,
    properties: {
      type: { type: 'string', minLength: 1 },
      status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
      reason: { type: 'string' },
      message: { type: 'string' },
      lastTransitionTime: { type: 'string', format: 'date-time' },
      observedGeneration: { type: 'integer', minimum: 0 },
    },
  },
  Conditions: {
    type: 'array',
    items: { $ref: '#/definitions/Condition' },
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  },
};
