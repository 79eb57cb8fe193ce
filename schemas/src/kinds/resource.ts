// Builds the top-level schema every kind shares: apiVersion, kind, metadata, spec, status.
import type { JsonSchema } from './types.js';

/** Top-level schema of a resource kind whose spec and status live in `#/definitions`. */
export function resourceSchema(kind: string, apiVersion: string, description: string): JsonSchema {
  return {
    title: kind,
    description,
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    additionalProperties: false,
    properties: {
      apiVersion: { type: 'string', enum: [apiVersion] },
      kind: { type: 'string', enum: [kind] },
      metadata: { $ref: '#/definitions/ObjectMeta' },
      spec: { $ref: `#/definitions/${kind}Spec` },
      status: { $ref: `#/definitions/${kind}Status` },
    },
  };
}
