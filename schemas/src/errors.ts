// Typed errors of @matrixinfer/schemas. Callers branch on `code`, never on messages.
import { CodedError } from './coded-error.js';

/** Base of every error this package throws. */
export class SchemaError extends CodedError {
  override name: string = 'SchemaError';
}

/** A KIND argument that names none of the six kinds. */
export class UnknownKindError extends SchemaError {
  readonly input: string;
  constructor(message: string, input: string) {
    super('MI_ERR_UNKNOWN_KIND', message);
    this.name = 'UnknownKindError';
    this.input = input;
  }
}

/** Where a document failed to parse. Lines and columns are 1-based. */
export interface ParseIssue {
  line: number;
  column: number;
  message: string;
}

/** A file that is not valid YAML/JSON; `issues` has every syntax error with its line. */
export class DocumentParseError extends SchemaError {
  readonly source: string;
  readonly issues: readonly ParseIssue[];
  constructor(source: string, issues: ParseIssue[]) {
    const lines = issues.map((i) => `${source}:${i.line}:${i.column}: ${i.message}`);
    super('MI_ERR_PARSE', lines.join('\n'));
    this.name = 'DocumentParseError';
    this.source = source;
    this.issues = issues;
  }
}
