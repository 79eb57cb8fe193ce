// The ajv 8 instance the scheduler validates configs and plugin params with.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** The part of an ajv error we render. */
export type AjvError = ErrorObject;

/** A compiled validator. */
export type AjvValidate = ValidateFunction;

/** Creates an ajv instance reporting all errors (one per call: no shared mutable singleton). */
export function createAjv(): Ajv {
  return new Ajv({ allErrors: true });
}
