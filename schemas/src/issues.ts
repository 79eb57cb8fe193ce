// The result types of validation, shared by the validator, cross-field rules and formatters.
import type { Resource } from './generated/types.js';

/** One problem in a document: where (`spec.rules[0].targetModels[1].weight`) and what, in words. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Outcome of validateResource: the defaulted resource, or every issue found. */
export type ValidationResult = { ok: true; resource: Resource } | { ok: false; errors: ValidationIssue[] };
