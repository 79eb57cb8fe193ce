// Public entry of @matrixinfer/schemas: resource types, kind registry, parsing, validation.
export type * from './generated/types.js';
export type { ValidationIssue, ValidationResult } from './issues.js';
export { KINDS, kindInfo, resolveKind, type KindInfo, type KindName } from './registry.js';
export { createResourceValidator, validateResource, type ResourceValidator } from './validate.js';
export { updateIssues } from './rules/immutable.js';
export { parseDurationMs } from './duration.js';
export { parseQuantity, isQuantity, InvalidQuantityError } from './quantity.js';
export { formatPath } from './paths.js';
export { closest } from './describe.js';
export { SchemaError, UnknownKindError, DocumentParseError, type ParseIssue } from './errors.js';
export { KIND_SCHEMAS, kindBundle, allDefinitions, resolveRef } from './bundle.js';
export type { JsonSchema, KindSchema } from './kinds/types.js';
export { DNS_LABEL_PATTERN, QUANTITY_PATTERN } from './kinds/common.js';
export { parseDocuments, type ParsedDocument } from './parse.js';
export { formatValidation } from './format.js';
export { toYaml } from './yaml.js';
export { CodedError, codedError, codedErrors, codedFamily, type CodedErrorBase, type CodedErrorClass, type CodedErrorClasses, type CodedErrorOptions, type CodedFamily } from './coded-error.js';
export { API_KEYS_FORMAT, API_KEY_PREFIX, API_KEY_PRIORITIES, ApiKeyFileError, formatApiKeyFile, hashApiKey, makeApiKey, parseApiKeyFile, validateApiKeyFile, type ApiKeyFile, type ApiKeyPriority, type ApiKeyRecord } from './api-keys.js';
