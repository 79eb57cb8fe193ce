// A JetStream store that is full or stuck shows up in the client as a bare "timeout" (a server
// whose disk filled hangs its stream) or as "insufficient resources" (its max_file_store is
// reached). Both become one typed error a person can act on, instead of `error: timeout`.
import { JetStreamApiError } from '@nats-io/jetstream';
import { SubmitError } from '../api/errors.js';

/** Stable codes of the two store failures. */
export const STORE_ERROR_CODES = {
  full: 'MI_ERR_STORE_FULL',
  timeout: 'MI_ERR_STORE_TIMEOUT',
} as const;

// nats-server's JSInsufficientResourcesErr, JSStorageResourcesExceededErr, JSAccountResourcesExceededErr.
const FULL_API_CODES = new Set([10023, 10047, 10002]);
const FULL_MESSAGE = /insufficient (storage )?resources|resource limits exceeded|no space left/i;

/** What kind of store failure `err` (or an error in its cause chain) is; null when it is none. */
export function storeFailureKind(err: unknown): 'full' | 'timeout' | null {
  let e: unknown = err;
  for (let depth = 0; depth < 6 && e instanceof Error; depth++) {
    if (e instanceof JetStreamApiError && FULL_API_CODES.has(e.code)) return 'full';
    if (FULL_MESSAGE.test(e.message)) return 'full';
    if (e.name === 'TimeoutError' || /^timeout$/i.test(e.message)) return 'timeout';
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** The typed error for a store failure against `url`, or null when `err` is not one. */
export function storeFailure(err: unknown, url: string): SubmitError | null {
  const kind = storeFailureKind(err);
  if (kind === 'full') {
    return new SubmitError(STORE_ERROR_CODES.full, `the JetStream store of ${url} is full (${(err as Error).message}): free disk space or raise max_file_store, then run the command again`, { cause: err });
  }
  if (kind === 'timeout') {
    return new SubmitError(
      STORE_ERROR_CODES.timeout,
      `JetStream on ${url} did not answer in time: its store may be full (a nats-server whose disk filled stops answering until it is restarted) or the server is overloaded; check its log and free space, then run the command again (a write may or may not have been stored)`,
      { cause: err },
    );
  }
  return null;
}
