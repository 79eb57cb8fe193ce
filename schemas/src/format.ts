// The lines `mi apply --dry-run` prints: `Model/llama valid`, or one line per issue:
// `models.yaml#0 Model/llama: spec.backends[0].maxReplicas: must be at least 1 (got 0)`.
import type { ValidationResult } from './issues.js';
import type { ParsedDocument } from './parse.js';

function label(doc: unknown): string {
  const o = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
  const meta = o.metadata !== null && typeof o.metadata === 'object' ? (o.metadata as Record<string, unknown>) : {};
  const kind = typeof o.kind === 'string' && o.kind !== '' ? o.kind : '<no kind>';
  const name = typeof meta.name === 'string' && meta.name !== '' ? meta.name : '<no name>';
  return `${kind}/${name}`;
}

/** The CLI lines for one document's validation result (one line when valid, one per issue otherwise). */
export function formatValidation(parsed: ParsedDocument, result: ValidationResult): string[] {
  if (result.ok) return [`${label(parsed.doc)} valid`];
  const where = `${parsed.source}#${parsed.index} ${label(parsed.doc)}`;
  return result.errors.map((e) => `${where}: ${e.path === '' ? '<document>' : e.path}: ${e.message}`);
}
