// Content hashes: revisions of templates and content-derived event ids. Same content, same
// hash, on every replica and after every restart (keys sorted before hashing).
import { createHash } from 'node:crypto';
import { stableStringify } from '@matrixinfer/events';

/** First `len` hex chars of sha256 over the key-sorted JSON of `value`. */
export function contentHash(value: unknown, len = 10): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex').slice(0, len);
}
