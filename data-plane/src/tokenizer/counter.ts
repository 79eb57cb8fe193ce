// Counts prompt tokens with the model's own tokenizer, in one worker thread (worker.mjs), for the
// gateway's input-token admission. Bounded so it can never hold a request up for long: a model
// whose tokenizer is not loaded (yet), a full queue or an answer later than `timeoutMs` give
// undefined, and the gateway admits on its chars/4 estimate instead (settled on the engine's
// prompt_tokens afterwards either way).
import { Worker } from 'node:worker_threads';
import type { Logger } from 'winston';
import type { TokenizerSpec } from './specs.js';

/** The gateway's view of the token counter. */
export interface TokenCounter {
  /** True once `model`'s tokenizer is loaded. */
  has(model: string): boolean;
  /** Tokens of `text` for `model`, or undefined (not loaded, queue full, too slow, failed). */
  count(model: string, text: string): Promise<number | undefined>;
  /** How often each outcome happened (for /debug and tests). */
  stats(): { counted: number; fallback: number; loaded: string[]; failed: Record<string, string> };
  close(): Promise<void>;
}

/** Options of startTokenCounter. */
export interface TokenCounterOptions {
  specs: readonly TokenizerSpec[];
  logger: Logger;
  /** Longest wait for one count (default 50 ms). */
  timeoutMs?: number;
  /** Counts in flight at most; beyond, the estimate is used (default 64). */
  maxPending?: number;
}

type Answer = { id: number; count?: number; error?: string } | { type: 'loaded'; model: string; ms: number } | { type: 'load-failed'; model: string; error: string };

/** Starts the worker and returns at once; tokenizers load in the background. */
export function startTokenCounter(opts: TokenCounterOptions): TokenCounter {
  const timeoutMs = opts.timeoutMs ?? 50;
  const maxPending = opts.maxPending ?? 64;
  const loaded = new Set<string>();
  const failed: Record<string, string> = {};
  const pending = new Map<number, (n: number | undefined) => void>();
  let nextId = 1;
  let counted = 0;
  let fallback = 0;
  let closed = false;
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { specs: opts.specs } });
  // The gateway must exit on its own when everything else is closed.
  worker.unref();
  const settleAll = () => {
    for (const done of pending.values()) done(undefined);
    pending.clear();
  };
  worker.on('message', (m: Answer) => {
    if ('type' in m) {
      if (m.type === 'loaded') {
        loaded.add(m.model);
        opts.logger.info('tokenizer loaded', { model: m.model, ms: m.ms });
      } else {
        failed[m.model] = m.error;
        opts.logger.warn('tokenizer not loaded; input tokens of this model are estimated (chars/4)', { model: m.model, error: m.error });
      }
      return;
    }
    const done = pending.get(m.id);
    pending.delete(m.id);
    done?.(typeof m.count === 'number' ? m.count : undefined);
  });
  worker.on('error', (err) => {
    opts.logger.error('tokenizer worker failed; input tokens are estimated (chars/4) from now on', { error: err.message });
    loaded.clear();
    settleAll();
  });
  return {
    has: (model) => loaded.has(model),
    count(model, text) {
      if (closed || !loaded.has(model) || pending.size >= maxPending) {
        fallback++;
        return Promise.resolve(undefined);
      }
      const id = nextId++;
      return new Promise<number | undefined>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          fallback++;
          resolve(undefined);
        }, timeoutMs);
        pending.set(id, (n) => {
          clearTimeout(timer);
          if (n === undefined) fallback++;
          else counted++;
          resolve(n);
        });
        worker.postMessage({ id, model, text });
      });
    },
    stats: () => ({ counted, fallback, loaded: [...loaded].sort(), failed: { ...failed } }),
    async close() {
      closed = true;
      settleAll();
      await worker.terminate();
    },
  };
}
