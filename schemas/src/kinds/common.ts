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

/**
 * A Kubernetes quantity as a string: a signed decimal number, then a binary suffix (Ki..Ei),
 * a decimal suffix (n, u, m, "", k, M..E) or a decimal exponent (e3, E-2). See ../quantity.ts.
 */
export const QUANTITY_PATTERN = '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+))?$';

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
      { type: 'string', pattern: QUANTITY_PATTERN },
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
      valueFrom: { $ref: '#/definitions/EnvVarSource' },
    },
  },
  EnvVarSource: {
    title: 'EnvVarSource',
    description: 'Where the value comes from (as in a Kubernetes EnvVar); set one of the four.',
    type: 'object',
    minProperties: 1,
    maxProperties: 1,
    'x-message': 'must set exactly one of configMapKeyRef, secretKeyRef, fieldRef or resourceFieldRef',
    additionalProperties: false,
    properties: {
      configMapKeyRef: { $ref: '#/definitions/KeySelector', description: 'A key of a ConfigMap in the namespace.' },
      secretKeyRef: { $ref: '#/definitions/KeySelector', description: 'A key of a Secret in the namespace.' },
      fieldRef: {
        title: 'ObjectFieldSelector',
        type: 'object',
        required: ['fieldPath'],
        additionalProperties: false,
        properties: {
          apiVersion: { type: 'string' },
          fieldPath: { type: 'string', minLength: 1, description: 'A field of the pod, e.g. "metadata.name" or "status.podIP".' },
        },
      },
      resourceFieldRef: {
        title: 'ResourceFieldSelector',
        type: 'object',
        required: ['resource'],
        additionalProperties: false,
        properties: {
          containerName: { type: 'string' },
          divisor: { $ref: '#/definitions/Quantity' },
          resource: { type: 'string', minLength: 1, description: 'e.g. "limits.cpu" or "requests.memory".' },
        },
      },
    },
  },
  KeySelector: {
    title: 'KeySelector',
    description: 'One key of a ConfigMap or Secret.',
    type: 'object',
    required: ['key'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', description: 'Name of the ConfigMap or Secret.' },
      key: { type: 'string', minLength: 1 },
      optional: { type: 'boolean', description: 'When true, a missing object or key leaves the variable unset instead of failing.' },
    },
  },
  EnvFromSource: {
    title: 'EnvFromSource',
    description: 'Every key of a ConfigMap or Secret as environment variables (as in Kubernetes envFrom).',
    type: 'object',
    additionalProperties: false,
    properties: {
      prefix: { type: 'string', description: 'Prepended to every key.' },
      configMapRef: { $ref: '#/definitions/EnvSourceRef' },
      secretRef: { $ref: '#/definitions/EnvSourceRef' },
    },
  },
  EnvSourceRef: {
    title: 'EnvSourceRef',
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string' },
      optional: { type: 'boolean', description: 'When true, a missing object is skipped instead of failing.' },
    },
  },
  ResourceRequirements: {
    title: 'ResourceRequirements',
    type: 'object',
    additionalProperties: false,
    properties: {
      limits: { type: 'object', additionalProperties: { $ref: '#/definitions/Quantity' } },
      requests: { type: 'object', additionalProperties: { $ref: '#/definitions/Quantity' } },
      claims: {
        type: 'array',
        description: 'Dynamic resource claims of the pod this container uses (Kubernetes DRA).',
        items: {
          title: 'ResourceClaim',
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1 }, request: { type: 'string' } },
        },
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      },
    },
  },
  LabelSelector: {
    title: 'LabelSelector',
    description: 'A Kubernetes label selector: all matchLabels and all matchExpressions must hold.',
    type: 'object',
    additionalProperties: false,
    properties: {
      matchLabels: { $ref: '#/definitions/StringMap' },
      matchExpressions: {
        type: 'array',
        items: {
          title: 'LabelSelectorRequirement',
          type: 'object',
          required: ['key', 'operator'],
          additionalProperties: false,
          properties: {
            key: { type: 'string', minLength: 1 },
            operator: { type: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
            values: { type: 'array', items: { type: 'string' } },
          },
        },
      },
    },
  },
  Affinity: {
    title: 'Affinity',
    description: 'Kubernetes pod scheduling affinity (nodeAffinity, podAffinity, podAntiAffinity), passed to the pods as written.',
    type: 'object',
    additionalProperties: true,
    'x-kubernetes-preserve-unknown-fields': true,
    properties: {
      nodeAffinity: { type: 'object', additionalProperties: true, 'x-kubernetes-preserve-unknown-fields': true },
      podAffinity: { type: 'object', additionalProperties: true, 'x-kubernetes-preserve-unknown-fields': true },
      podAntiAffinity: { type: 'object', additionalProperties: true, 'x-kubernetes-preserve-unknown-fields': true },
    },
  },
  TopologySpreadConstraint: {
    title: 'TopologySpreadConstraint',
    description: 'How pods spread over a topology (zones, nodes), as in a Kubernetes PodSpec.',
    type: 'object',
    // MatrixInfer requires none of the fields; the topology key is the one without a sensible default.
    required: ['topologyKey'],
    additionalProperties: false,
    properties: {
      maxSkew: { type: 'integer', minimum: 1, default: 1 },
      topologyKey: { type: 'string', minLength: 1 },
      whenUnsatisfiable: { type: 'string', enum: ['DoNotSchedule', 'ScheduleAnyway'], default: 'DoNotSchedule' },
      labelSelector: { $ref: '#/definitions/LabelSelector' },
      minDomains: { type: 'integer', minimum: 1 },
      matchLabelKeys: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'atomic' },
      nodeAffinityPolicy: { type: 'string', enum: ['Honor', 'Ignore'] },
      nodeTaintsPolicy: { type: 'string', enum: ['Honor', 'Ignore'] },
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
    // Every ObjectMeta field of Kubernetes is listed, so a document read back from a cluster
    // applies, and a misspelt field (`lables`) is an error with a suggestion, as in kubectl.
    additionalProperties: false,
    properties: {
      generateName: { type: 'string', description: 'Not supported by mi apply (names are required); accepted for round trips.' },
      selfLink: { type: 'string' },
      deletionGracePeriodSeconds: { type: 'integer', minimum: 0 },
      managedFields: { type: 'array', items: { type: 'object', additionalProperties: true }, description: 'Set by a Kubernetes API server; ignored.' },
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
