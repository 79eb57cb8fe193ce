// YAML output in one style for every tool that prints resources (mi get -o yaml, CRD files).
import { stringify } from 'yaml';

/** Block-style YAML of a JSON value: no line folding, no anchors, keys in insertion order. */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}
