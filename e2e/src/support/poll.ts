// Waiting for a condition of the running system: poll it until it holds or a deadline passes.
// The e2e machine is small and shared, so deadlines are generous and nothing sleeps blindly.
import { setTimeout as delay } from 'node:timers/promises';

/** Polls `check` every `everyMs` until it returns a value other than undefined/false; throws after `timeoutMs` naming `what` and the last value seen. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, opts: { timeoutMs?: number; everyMs?: number; describe?: () => Promise<string> | string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const extra = opts.describe ? `; state: ${await opts.describe()}` : '';
      const why = lastError ? `; last error: ${(lastError as Error).message}` : '';
      throw new Error(`timed out after ${opts.timeoutMs ?? 30_000} ms waiting for ${what}${why}${extra}`);
    }
    await delay(opts.everyMs ?? 100);
  }
}
