// parseDocuments: multi-document YAML or JSON text -> documents with their index and source.
import { LineCounter, parseAllDocuments } from 'yaml';
import { DocumentParseError, type ParseIssue } from './errors.js';

/** One document of a file: what was parsed, where it came from. */
export interface ParsedDocument {
  /** File name (or "-" / "<stdin>") as given by the caller. */
  source: string;
  /** 0-based position among the file's non-empty documents (List items count one each). */
  index: number;
  /** 1-based line where the document starts. */
  line: number;
  /** The parsed value (validate it with validateResource). */
  doc: unknown;
}

const TOO_DEEP = 'the document nests too deeply to parse';

function isList(v: unknown): v is { items: unknown[] } {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items);
}

/**
 * Parses YAML (several documents separated by `---`) or JSON (one object, an array of
 * objects, or a Kubernetes `List`). Empty documents are skipped. Throws DocumentParseError
 * (code MI_ERR_PARSE) listing every syntax error with its line and column.
 */
export function parseDocuments(text: string, sourceName: string): ParsedDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  const issues: ParseIssue[] = [];
  for (const d of list) {
    for (const err of d.errors) {
      const pos = lineCounter.linePos(err.pos[0]);
      const message = err.message.split('\n')[0];
      // The parser recurses: a value nested some thousand levels deep overflows the stack at a
      // depth that varies with the caller's stack, once per level unwound. One stable issue
      // instead (found by the resource fuzz suite: the CLI and the API listed different errors).
      if (/Maximum call stack size exceeded/.test(message)) {
        if (!issues.some((i) => i.message === TOO_DEEP)) issues.push({ line: pos.line, column: 1, message: TOO_DEEP });
        continue;
      }
      issues.push({ line: pos.line, column: pos.col, message });
    }
  }
  if (issues.length > 0) throw new DocumentParseError(sourceName, issues);
  const out: ParsedDocument[] = [];
  for (const d of list) {
    const line = lineCounter.linePos(d.contents?.range[0] ?? d.range[0]).line;
    let value: unknown;
    try {
      value = d.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // An alias bomb ("Excessive alias count …") throws here, after parsing succeeded: it is
      // bad input like a syntax error, not a failure (found by the resource fuzz suite).
      throw new DocumentParseError(sourceName, [{ line, column: 1, message: err instanceof Error ? err.message : String(err) }]);
    }
    if (value === null || value === undefined) continue;
    const items = Array.isArray(value) ? value : isList(value) ? value.items : [value];
    for (const doc of items) out.push({ source: sourceName, index: out.length, line, doc });
  }
  return out;
}
