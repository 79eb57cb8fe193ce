// Fault injection: flags set defaults for every request, x-sim-* headers act on one request.
//   x-sim-fail: <status>               fail at once with that status and the engine's error body
//   x-sim-first-token-stall-ms: <ms>   extra model time before the first token
//   x-sim-stall-ms: <ms>               a mid-stream stall ...
//   x-sim-stall-after-tokens: <n>      ... after n tokens (default 1 when only x-sim-stall-ms is set)
//   x-sim-fail-after-tokens: <n>       stream n tokens, then a mid-stream error event and [DONE]
//                                      (non-streaming: 500 after n tokens of work)
//   x-sim-crash: 1                     the simulator crashes on this request

import type { IncomingHttpHeaders } from 'node:http';
import type { FaultOptions } from '../config.js';
import type { Rng } from '../engine/rng.js';
import type { RequestFaults } from '../engine/types.js';
import type { EngineErrorSpec } from './io.js';

/** What to do with an arriving generation request. */
export type FaultVerdict =
  | { action: 'crash' }
  | { action: 'fail'; error: EngineErrorSpec }
  | { action: 'serve'; faults: RequestFaults; failAfterTokens: number };

/** Decides faults for arriving requests; counts requests for --crash-after. */
export interface FaultController {
  onRequest(headers: IncomingHttpHeaders): FaultVerdict;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function headerNumber(headers: IncomingHttpHeaders, name: string): number | undefined {
  const v = header(headers, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Creates the fault controller for one simulator; `rng` decides --error-rate failures. */
export function createFaultController(opts: FaultOptions, rng: Rng): FaultController {
  let count = 0;
  // The verdict of a request with no fault header, shared (the core only reads it).
  const plain: FaultVerdict = {
    action: 'serve',
    failAfterTokens: 0,
    faults: { firstTokenStallMs: opts.firstTokenStallMs, stallMs: opts.stallMs, stallAfterTokens: Math.max(1, opts.stallAfterTokens) },
  };
  return {
    onRequest(headers) {
      count++;
      if (header(headers, 'x-sim-crash') !== undefined) return { action: 'crash' };
      if (opts.crashAfter > 0 && count > opts.crashAfter) return { action: 'crash' };
      const failStatus = headerNumber(headers, 'x-sim-fail');
      if (failStatus !== undefined && failStatus >= 400 && failStatus <= 599) {
        return { action: 'fail', error: { status: Math.floor(failStatus), message: `Simulated failure (x-sim-fail: ${failStatus})` } };
      }
      if (opts.errorRate > 0 && rng.next() < opts.errorRate) {
        return { action: 'fail', error: { status: 500, message: 'Simulated engine failure (--error-rate)' } };
      }
      const stallMs = headerNumber(headers, 'x-sim-stall-ms');
      const stallAfter = headerNumber(headers, 'x-sim-stall-after-tokens');
      const failAfter = headerNumber(headers, 'x-sim-fail-after-tokens');
      const firstStall = headerNumber(headers, 'x-sim-first-token-stall-ms');
      if (stallMs === undefined && stallAfter === undefined && failAfter === undefined && firstStall === undefined) return plain;
      return {
        action: 'serve',
        failAfterTokens: failAfter !== undefined ? Math.max(1, Math.floor(failAfter)) : 0,
        faults: {
          firstTokenStallMs: firstStall ?? opts.firstTokenStallMs,
          stallMs: stallMs ?? opts.stallMs,
          // A stall with no position given happens after the first token.
          stallAfterTokens: stallAfter !== undefined ? Math.max(1, Math.floor(stallAfter)) : Math.max(1, opts.stallAfterTokens),
        },
      };
    },
  };
}
