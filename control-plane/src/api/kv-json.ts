// JSON values of a KV bucket by key, for status and configuration reads: a missing bucket (no
// control plane has run yet) or key reads as null, not as an error.
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';
import { ERROR_CODES, hasCode } from '@matrixinfer/events';
import type { StatusReader } from './service.js';

// No control plane has run yet, so the bucket does not exist: no status, not an error.
function isMissingBucket(err: unknown): boolean {
  return (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) || hasCode(err, ERROR_CODES.notFound);
}

/** Reads JSON values of a KV bucket by key; null when the key or the bucket is missing. */
export function kvJsonReader(open: () => Promise<KV>): StatusReader {
  let kv: Promise<KV> | undefined;
  return async (key) => {
    let e: KvEntry | null;
    try {
      kv ??= open();
      e = await (await kv).get(key);
    } catch (err) {
      kv = undefined;
      if (isMissingBucket(err)) return null;
      throw err;
    }
    if (e === null || e.operation !== 'PUT' || e.value.length === 0) return null;
    try {
      return e.json<unknown>();
    } catch {
      return null;
    }
  };
}

