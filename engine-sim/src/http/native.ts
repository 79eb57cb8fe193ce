// The response shapes of a native (non-OpenAI) generation endpoint: Triton's generate extension
// and TorchServe's predictions API. GenerationRun writes through one NativeShape per request
// instead of its OpenAI templates; the engine core and timing stay the same.

import type { FinishInfo, FinishReason } from '../engine/types.js';
import type { EngineErrorSpec } from './io.js';

/** What a native endpoint writes for one request. */
export interface NativeShape {
  /** Status-200 headers of a streamed response. */
  streamHeaders: Record<string, string>;
  /** One streamed token: `delta` text, `reason` on the last token (null before). */
  event(delta: string, reason: FinishReason | null, promptTokens: number, completionTokens: number): string;
  /** What closes a successful stream (after the last token's event). */
  streamEnd(info: FinishInfo): string;
  /** A non-streamed body. */
  body(text: string, info: FinishInfo): string;
  /** A failure after the stream started (status already 200). */
  streamError(message: string): string;
}

/** A native endpoint's request mapped onto the OpenAI completions body the parser takes. */
export type NativeMapping = { body: Record<string, unknown>; shape: NativeShape } | { error: EngineErrorSpec };

/** Turns a native request body into a completions body and its response shape. */
export type NativeMapper = (body: unknown) => NativeMapping;

/** A JSON object, or undefined. */
export function objectOf(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The first of `keys` set in any of `sources` (top-level fields before `parameters`, as the engines read them). */
export function firstField(sources: readonly (Record<string, unknown> | undefined)[], ...keys: string[]): unknown {
  for (const s of sources) {
    if (!s) continue;
    for (const k of keys) if (s[k] !== undefined && s[k] !== null) return s[k];
  }
  return undefined;
}
