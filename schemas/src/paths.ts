// Issue paths in one readable form everywhere: `spec.rules[0].targetModels[1].weight`,
// with odd map keys quoted: `metadata.labels["app.kubernetes.io/name"]`.

/** One segment of a path: array index or object key. */
export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Renders segments as `a.b[0].c` (keys that are not plain identifiers as `["key"]`). */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (PLAIN_KEY.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Splits a JSON pointer (ajv's instancePath) into segments; array positions become numbers. */
export function pointerSegments(pointer: string, root: unknown): PathSegment[] {
  if (pointer === '') return [];
  const segments: PathSegment[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(key)) {
      const i = Number(key);
      segments.push(i);
      node = node[i];
    } else {
      segments.push(key);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return segments;
}

/** Joins a parent path and child segments into one formatted path. */
export function childPath(parent: string, ...children: PathSegment[]): string {
  const tail = formatPath(children);
  if (parent === '') return tail;
  if (tail === '') return parent;
  return tail.startsWith('[') ? parent + tail : `${parent}.${tail}`;
}
