// Turns an OpenAI chat/completions request body into what the engine needs, with the engines'
// validation errors (400 for bad bodies and context overflow, 404 for an unknown model).

import type { SimOptions } from '../config.js';
import { applyChatTemplate, tokenize, type ChatMessageLike } from '../engine/tokenizer.js';
import type { EngineErrorSpec } from './io.js';
import type { LoraRegistry } from './lora.js';
import type { NativeShape } from './native.js';

/** Which endpoint a request came to: OpenAI chat/completions, or SGLang's native /generate. */
export type ApiKind = 'chat' | 'completion' | 'generate' | 'native';

const SGLANG_DEFAULT_MAX_NEW_TOKENS = 128;

/** Maps SGLang's native /generate body ({text|input_ids, sampling_params, stream}) onto a completions body. */
export function nativeGenerateBody(body: unknown): unknown {
  if (!isObj(body)) return body;
  const sp = isObj(body.sampling_params) ? body.sampling_params : {};
  const { text, input_ids: inputIds, sampling_params: _sp, ...rest } = body;
  return {
    ...rest,
    prompt: text ?? inputIds,
    max_tokens: sp.max_new_tokens ?? SGLANG_DEFAULT_MAX_NEW_TOKENS,
    ignore_eos: sp.ignore_eos === true,
  };
}

/** A validated generation request. */
export interface ParsedRequest {
  kind: ApiKind;
  /** The model name echoed in responses (as the client sent it, or the served name). */
  model: string;
  /** Adapter name when the request selects a LoRA adapter. */
  lora: string | undefined;
  promptTokens: number[];
  maxTokens: number;
  maxTokensGiven: boolean;
  stream: boolean;
  includeUsage: boolean;
  /** stream_options.continuous_usage_stats: every chunk carries the usage so far. */
  continuousUsage: boolean;
  ignoreEos: boolean;
  /** kv_transfer_params as sent (NIXL-style PD), if any. */
  kvTransfer: Record<string, unknown> | undefined;
  /** SGLang PD bootstrap fields, if any. */
  bootstrap: { host: string; port: number; room: string } | undefined;
  /** Response shapes of a Triton or TorchServe native endpoint (set by its route; kind 'native'). */
  native?: NativeShape;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const bad = (message: string, param: string | null = null): { error: EngineErrorSpec } => ({ error: { status: 400, message, param } });

/** Validates `body`; returns the parsed request or the engine error to send. */
export function parseGeneration(kind: ApiKind, rawBody: unknown, opts: SimOptions, adapters: LoraRegistry):
  { request: ParsedRequest } | { error: EngineErrorSpec } {
  const body = kind === 'generate' ? nativeGenerateBody(rawBody) : rawBody;
  if (!isObj(body)) return bad('Request body must be a JSON object');
  const rawModel = body.model;
  if (rawModel !== undefined && rawModel !== null && typeof rawModel !== 'string') return bad('model must be a string', 'model');
  const model = typeof rawModel === 'string' ? rawModel : opts.model;
  let lora: string | undefined;
  if (opts.engine === 'vllm') {
    if (model !== opts.model) {
      if (!adapters.has(model)) return { error: { status: 404, type: 'NotFoundError', message: `The model \`${model}\` does not exist.`, param: 'model' } };
      lora = model;
    }
  } else {
    // SGLang serves whatever model name is sent; an adapter is chosen by lora_path or "base:adapter".
    const colon = model.indexOf(':');
    const byName = typeof body.lora_path === 'string' ? body.lora_path : colon > 0 ? model.slice(colon + 1) : undefined;
    if (byName !== undefined) {
      if (!adapters.has(byName)) return bad(`LoRA adapter ${byName} is not loaded`, 'lora_path');
      lora = byName;
    }
  }

  let promptTokens: number[];
  if (kind === 'chat') {
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0 || !messages.every((m) => isObj(m) && typeof m.role === 'string')) {
      return bad('messages must be a non-empty array of {role, content}', 'messages');
    }
    promptTokens = tokenize(applyChatTemplate(messages as ChatMessageLike[]));
  } else {
    const p = body.prompt;
    if (typeof p === 'string') promptTokens = tokenize(p);
    else if (Array.isArray(p) && p.length === 1 && typeof p[0] === 'string') promptTokens = tokenize(p[0]);
    else if (Array.isArray(p) && p.length > 0 && p.every((t) => Number.isInteger(t) && (t as number) >= 0)) promptTokens = p as number[];
    else return bad('prompt must be a string, a one-element array of strings, or an array of token ids (batches are not supported)', 'prompt');
  }
  if (promptTokens.length === 0) return bad('The prompt cannot be empty.', 'prompt');

  const n = body.n;
  if (n !== undefined && n !== null && n !== 1) return bad('The simulator supports only n=1', 'n');
  const stream = body.stream === true;
  const streamOptions = body.stream_options;
  if (streamOptions !== undefined && streamOptions !== null && !stream) {
    return bad('Stream options can only be defined when `stream=True`.', 'stream_options');
  }
  const includeUsage = stream && isObj(streamOptions) && streamOptions.include_usage === true;
  const continuousUsage = includeUsage && isObj(streamOptions) && streamOptions.continuous_usage_stats === true;

  const limitField = kind === 'chat' && body.max_completion_tokens !== undefined && body.max_completion_tokens !== null
    ? 'max_completion_tokens' : 'max_tokens';
  const rawMax = body[limitField];
  const given = rawMax !== undefined && rawMax !== null;
  if (given && (!Number.isInteger(rawMax) || (rawMax as number) < 1)) return bad(`${limitField} must be at least 1, got ${String(rawMax)}.`, limitField);
  const len = promptTokens.length;
  const maxLen = opts.maxModelLen;
  if (len >= maxLen) {
    return bad(`This model's maximum context length is ${maxLen} tokens. However, your request has ${len} input tokens. Please reduce the length of the input messages.`);
  }
  // vLLM's completions API defaults max_tokens to 16; chat defaults to the rest of the context.
  const maxTokens = given ? (rawMax as number) : kind === 'completion' ? Math.min(16, maxLen - len) : maxLen - len;
  if (len + maxTokens > maxLen) {
    return bad(`This model's maximum context length is ${maxLen} tokens. However, you requested ${len + maxTokens} tokens (${len} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`);
  }

  const kvt = body.kv_transfer_params;
  const kvTransfer = isObj(kvt) ? kvt : undefined;
  let bootstrap: ParsedRequest['bootstrap'];
  if (body.bootstrap_room !== undefined && body.bootstrap_room !== null) {
    const room = body.bootstrap_room;
    if (typeof room !== 'number' && typeof room !== 'string') return bad('bootstrap_room must be an integer', 'bootstrap_room');
    bootstrap = {
      host: typeof body.bootstrap_host === 'string' ? body.bootstrap_host : '127.0.0.1',
      port: typeof body.bootstrap_port === 'number' ? body.bootstrap_port : 8998,
      room: String(room),
    };
  }
  return {
    request: {
      kind, model, lora, promptTokens, maxTokens, maxTokensGiven: given, stream, includeUsage, continuousUsage,
      ignoreEos: body.ignore_eos === true, kvTransfer, bootstrap,
    },
  };
}
