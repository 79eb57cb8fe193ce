// Turns ajv errors into issues a person can act on: one path, one sentence, the value seen.
import type { ErrorObject } from 'ajv';
import { closest, describeValue, typePhrase } from './describe.js';
import { childPath, formatPath, pointerSegments } from './paths.js';
import type { ValidationIssue } from './issues.js';

type Schema = Record<string, unknown>;

function parentOf(e: ErrorObject): Schema {
  return (e.parentSchema ?? {}) as Schema;
}

function hint(e: ErrorObject): string | undefined {
  const m = parentOf(e)['x-message'];
  return typeof m === 'string' ? m : undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function rangeMessage(e: ErrorObject): string {
  const s = parentOf(e);
  const got = `(got ${describeValue(e.data)})`;
  if (typeof s.minimum === 'number' && typeof s.maximum === 'number') {
    return `must be between ${s.minimum} and ${s.maximum} ${got}`;
  }
  const limit = (e.params as { limit: number }).limit;
  switch (e.keyword) {
    case 'minimum':
      return `must be at least ${limit} ${got}`;
    case 'maximum':
      return `must be at most ${limit} ${got}`;
    case 'exclusiveMinimum':
      return `must be greater than ${limit} ${got}`;
    default:
      return `must be less than ${limit} ${got}`;
  }
}

function sentence(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  const got = `(got ${describeValue(e.data)})`;
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties': {
      const known = Object.keys((parentOf(e).properties ?? {}) as Schema);
      const guess = closest(String(p.additionalProperty), known);
      const list = known.length > 0 ? `; known fields: ${known.join(', ')}` : '';
      return `is not a known field${guess ? ` (did you mean "${guess}"?)` : ''}${list}`;
    }
    case 'type':
      return `must be ${String(p.type).split(',').map(typePhrase).join(' or ')} ${got}`;
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      const guess = typeof e.data === 'string' ? closest(e.data, (p.allowedValues as unknown[]).map(String)) : undefined;
      return `must be one of ${allowed.join(', ')} ${got}${guess ? `; did you mean "${guess}"?` : ''}`;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return rangeMessage(e);
    case 'minItems':
      return `must have at least ${plural(p.limit as number, 'item')} ${got}`;
    case 'maxItems':
      return `must have at most ${plural(p.limit as number, 'item')} ${got}`;
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${plural(p.limit as number, 'character')} long ${got}`;
    case 'maxLength':
      return `must be at most ${plural(p.limit as number, 'character')} long ${got}`;
    case 'pattern':
      return `${hint(e) ?? `must match the pattern ${String(p.pattern)}`} ${got}`;
    case 'format':
      return p.format === 'date-time'
        ? `must be an RFC 3339 date-time like "2025-01-02T15:04:05Z" ${got}`
        : `must be a valid ${String(p.format)} ${got}`;
    case 'minProperties':
    case 'maxProperties':
      return hint(e) ?? `must have ${e.keyword === 'minProperties' ? 'at least' : 'at most'} ${plural(p.limit as number, 'field')}`;
    case 'anyOf':
    case 'oneOf':
      return `${hint(e) ?? 'does not match any of the allowed forms'} ${got}`;
    default:
      return `${e.message ?? 'is invalid'} ${got}`;
  }
}

/** Issue path of an ajv error: the instance path, plus the offending field for required/additional. */
function issuePath(e: ErrorObject, root: unknown): string {
  const base = formatPath(pointerSegments(e.instancePath, root));
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required') return childPath(base, String(p.missingProperty));
  if (e.keyword === 'additionalProperties') return childPath(base, String(p.additionalProperty));
  return base;
}

/**
 * Every ajv error as an issue, dropping the noise: the branch errors under a failed anyOf
 * (the anyOf's own sentence says what is allowed).
 */
export function issuesFromAjv(errors: readonly ErrorObject[], root: unknown): ValidationIssue[] {
  const alternatives = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const inBranch = (e: ErrorObject): boolean =>
    alternatives.some((a) => a !== e && a.instancePath === e.instancePath && e.schemaPath.startsWith(`${a.schemaPath}/`));
  return errors.filter((e) => !inBranch(e)).map((e) => ({ path: issuePath(e, root), message: sentence(e) }));
}
