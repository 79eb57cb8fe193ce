// JSON shapes of vLLM/SGLang OpenAI responses: full responses, stream chunks and usage.

import type { FinishReason } from '../engine/types.js';
import type { ApiKind } from './parse.js';

/** OpenAI usage block. */
export interface Usage {
  prompt_tokens: number;
  total_tokens: number;
  completion_tokens: number;
  prompt_tokens_details: { cached_tokens: number } | null;
}

/** Builds a usage block; `cachedTokens` given (--enable-prompt-tokens-details) fills prompt_tokens_details. */
export function usage(prompt: number, completion: number, cachedTokens?: number): Usage {
  return {
    prompt_tokens: prompt, total_tokens: prompt + completion, completion_tokens: completion,
    prompt_tokens_details: cachedTokens === undefined ? null : { cached_tokens: cachedTokens },
  };
}

/** finish_reason as the API reports it ('abort' is never sent to a client that is still there). */
export function apiFinishReason(r: FinishReason): string {
  return r === 'abort' ? 'abort' : r;
}

/** Common fields of every response of one request. */
export interface ResponseHead {
  id: string;
  created: number;
  model: string;
}

/** Request facts SGLang's native /generate reports in meta_info. */
export interface GenerateMeta {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  e2eLatencyS: number;
}

/** SGLang /generate body: cumulative text plus meta_info (finish_reason null until the end). */
export function generateBody(head: ResponseHead, text: string, reason: string | null, m: GenerateMeta): unknown {
  const finish = reason === null ? null : reason === 'length' ? { type: 'length', length: m.completionTokens } : { type: 'stop', matched: 128009 };
  return {
    text,
    meta_info: {
      id: head.id, finish_reason: finish, prompt_tokens: m.promptTokens, completion_tokens: m.completionTokens,
      cached_tokens: m.cachedTokens, e2e_latency: m.e2eLatencyS,
    },
  };
}

/** The non-streaming response body. */
export function fullResponse(kind: ApiKind, head: ResponseHead, text: string, reason: string, u: Usage,
  kvTransferParams: unknown): unknown {
  if (kind === 'chat') {
    return {
      id: head.id, object: 'chat.completion', created: head.created, model: head.model,
      choices: [{
        index: 0,
        message: { role: 'assistant', content: text, refusal: null, annotations: null, audio: null, function_call: null, tool_calls: [], reasoning_content: null },
        logprobs: null, finish_reason: reason, stop_reason: null,
      }],
      service_tier: null, system_fingerprint: null, usage: u, prompt_logprobs: null, kv_transfer_params: kvTransferParams,
    };
  }
  return {
    id: head.id, object: 'text_completion', created: head.created, model: head.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: reason, stop_reason: null, prompt_logprobs: null }],
    service_tier: null, system_fingerprint: null, usage: u, kv_transfer_params: kvTransferParams,
  };
}

/**
 * One streamed chunk carrying `text` (or the assistant role, for the first chat chunk). `u`:
 * undefined omits the usage field, null sends `"usage": null` (include_usage), a Usage sends it
 * (continuous_usage_stats).
 */
export function streamChunk(kind: ApiKind, head: ResponseHead, text: string, reason: string | null, u: Usage | null | undefined,
  roleOnly = false): string {
  let body: Record<string, unknown>;
  if (kind === 'chat') {
    const delta = roleOnly ? { role: 'assistant', content: '' } : { content: text };
    const choice: Record<string, unknown> = { index: 0, delta, logprobs: null, finish_reason: reason };
    if (reason !== null) choice.stop_reason = null;
    body = { id: head.id, object: 'chat.completion.chunk', created: head.created, model: head.model, choices: [choice] };
  } else {
    body = {
      id: head.id, object: 'text_completion', created: head.created, model: head.model,
      choices: [{ index: 0, text, logprobs: null, finish_reason: reason, stop_reason: null }],
    };
  }
  if (u !== undefined) body.usage = u;
  return `data: ${JSON.stringify(body)}\n\n`;
}

/** The final usage-only chunk (choices empty) sent when stream_options.include_usage is set. */
export function usageChunk(kind: ApiKind, head: ResponseHead, u: Usage): string {
  const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  return `data: ${JSON.stringify({ id: head.id, object, created: head.created, model: head.model, choices: [], usage: u })}\n\n`;
}

/** The SSE terminator. */
export const DONE = 'data: [DONE]\n\n';
