// Validates Kubernetes manifests against the vendored schema with ajv: unknown fields, wrong
// types and missing required fields are problems; so is a kind the schema does not cover.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { KubernetesSchema } from './build-schema.js';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/** One problem of one manifest: `where` is a JSON pointer into the object. */
export interface ManifestProblem { where: string; message: string }

/** Checks one object; returns its problems (empty when valid). */
export type ManifestValidator = (object: Record<string, unknown>) => ManifestProblem[];

function describe(e: ErrorObject): ManifestProblem {
  const where = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') return { where, message: `unknown field "${String((e.params as { additionalProperty: string }).additionalProperty)}"` };
  if (e.keyword === 'required') return { where, message: `missing required field "${String((e.params as { missingProperty: string }).missingProperty)}"` };
  return { where, message: e.message ?? e.keyword };
}

/** A validator for every kind in `schema.kinds`, compiled once per kind on first use. */
export function createManifestValidator(schema: KubernetesSchema): ManifestValidator {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'k8s', definitions: schema.definitions });
  const compiled = new Map<string, ValidateFunction>();
  return (object) => {
    const gvk = `${String(object.apiVersion)}/${String(object.kind)}`;
    const model = schema.kinds[gvk];
    if (model === undefined) return [{ where: '/', message: `no schema for ${gvk} (add it to BUNDLE_KINDS and re-vendor)` }];
    let validate = compiled.get(gvk);
    if (validate === undefined) {
      validate = ajv.compile({ $ref: `k8s#/definitions/${model}` });
      compiled.set(gvk, validate);
    }
    return validate(object) ? [] : (validate.errors ?? []).map(describe);
  };
}
