// `-o yaml|json` output of resources and views.
import { stringify } from 'yaml';
import { BadArgumentError } from '../api/errors.js';

export type OutputFormat = 'table' | 'yaml' | 'json';

/** Checks an `-o` value against the formats a command supports. */
export function parseOutputFormat(value: string, allowed: readonly OutputFormat[]): OutputFormat {
  if ((allowed as readonly string[]).includes(value)) return value as OutputFormat;
  throw new BadArgumentError(`unknown output format "${value}" (use ${allowed.join(', ')})`);
}

/** YAML of one value, or of several as a multi-document stream. */
export function toYaml(values: unknown[]): string {
  return values.map((v) => stringify(v, { lineWidth: 0 }).trimEnd()).join('\n---\n');
}

/** Pretty JSON. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
