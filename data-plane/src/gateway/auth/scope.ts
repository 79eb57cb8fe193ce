// Model scopes of an API key: exact model names and `*` globs, compiled once per key file load
// so the per-request check is a Set lookup (and a few anchored regexps for globs).

/** True when the model name is inside the scope. */
export type ModelScope = (model: string) => boolean;

const ALL: ModelScope = () => true;

/** A `*` glob as an anchored RegExp: every other character is literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`);
}

/** Compiles the `models` of a key: a name matches an exact entry or any glob. */
export function compileScope(patterns: readonly string[]): ModelScope {
  if (patterns.includes('*')) return ALL;
  const exact = new Set<string>();
  const globs: RegExp[] = [];
  for (const p of patterns) {
    if (p.includes('*')) globs.push(globToRegExp(p));
    else exact.add(p);
  }
  if (globs.length === 0) return (model) => exact.has(model);
  return (model) => exact.has(model) || globs.some((g) => g.test(model));
}
