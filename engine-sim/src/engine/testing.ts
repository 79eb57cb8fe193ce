// Test helpers for the engine core: a recording stats sink and request builders (no I/O).

import { planOutput } from './output.js';
import type { EngineRequest, EngineStatsSink, FinishInfo, RequestListener } from './types.js';

/** A stats sink that adds everything up, for assertions. */
export interface RecordingSink extends EngineStatsSink {
  queries: number;
  hits: number;
  prompt: number;
  generated: number;
  preemptions: number;
  ttfts: number[];
  itls: number[];
  finishedInfos: FinishInfo[];
}

/** Creates an empty recording sink. */
export function recordingSink(): RecordingSink {
  const s: RecordingSink = {
    queries: 0, hits: 0, prompt: 0, generated: 0, preemptions: 0, ttfts: [], itls: [], finishedInfos: [],
    prefixCache(q, h) { s.queries += q; s.hits += h; },
    promptTokens(n) { s.prompt += n; },
    generationTokens(n) { s.generated += n; },
    preemption() { s.preemptions++; },
    firstToken(ms) { s.ttfts.push(ms); },
    interToken(ms) { s.itls.push(ms); },
    finished(info) { s.finishedInfos.push(info); },
  };
  return s;
}

/** Builds an engine request over `promptTokens` with `maxTokens` and no natural stop. */
export function testRequest(id: string, promptTokens: number[], maxTokens: number, extra: Partial<EngineRequest> = {}): EngineRequest {
  const plan = planOutput(1, promptTokens, 16);
  return {
    id, promptTokens, maxTokens, stopAfterTokens: Number.POSITIVE_INFINITY, cacheSalt: 'm', kvSource: 'local',
    faults: { firstTokenStallMs: 0, stallAfterTokens: 0, stallMs: 0 }, tokenAt: plan.tokenAt, ...extra,
  };
}

/** A listener that records tokens (with times) and the finish. */
export interface RecordingListener extends RequestListener {
  times: number[];
  ids: number[];
  finish: FinishInfo | undefined;
}

/** Creates a recording listener. */
export function recordingListener(): RecordingListener {
  const l: RecordingListener = {
    times: [], ids: [], finish: undefined,
    onToken(id, _i, at) { l.ids.push(id); l.times.push(at); },
    onFinish(info) { l.finish = info; },
  };
  return l;
}

/** Distinct token ids 1000+start .. (a prompt that shares nothing with other starts). */
export function tokens(n: number, start = 0): number[] {
  return Array.from({ length: n }, (_, i) => 1000 + start + i);
}
