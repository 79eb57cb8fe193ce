// OpenAI request fields shared by the native adapters: the prompt (chat messages rendered with
// a Llama-3-style chat template, since a native generate API takes text), the length limit and
// the sampling fields the engines accept. Pure.
import { badRequest, type GatewayError } from '../errors.js';
import type { NativeEvent, OpenAiRequest } from './types.js';

function contentText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content === null || content === undefined ? '' : null;
  let s = '';
  for (const part of content) {
    const p = part as { type?: unknown; text?: unknown } | null;
    if (p === null || typeof p !== 'object' || p.type !== 'text' || typeof p.text !== 'string') return null;
    s += p.text;
  }
  return s;
}

/** The prompt text of a request: `prompt` (a string or one string), or chat messages through the template. */
export function promptOf(r: OpenAiRequest): string | GatewayError {
  if (r.kind === 'completion') {
    const p = r.json.prompt;
    if (typeof p === 'string') return p;
    if (Array.isArray(p) && p.length === 1 && typeof p[0] === 'string') return p[0];
    return badRequest('this engine takes one text prompt (no batches or token ids)', 'prompt');
  }
  const messages = r.json.messages;
  if (!Array.isArray(messages) || messages.length === 0) return badRequest('messages must be a non-empty array', 'messages');
  let s = '<|begin_of_text|>';
  for (const m of messages) {
    const role = (m as { role?: unknown } | null)?.role;
    const text = contentText((m as { content?: unknown } | null)?.content);
    if (typeof role !== 'string' || text === null) return badRequest('each message needs a string role and text content', 'messages');
    s += `<|start_header_id|>${role}<|end_header_id|>\n\n${text}<|eot_id|>`;
  }
  return `${s}<|start_header_id|>assistant<|end_header_id|>\n\n`;
}

/** The length limit: max_completion_tokens (chat) or max_tokens; undefined leaves the engine's default. */
export function maxTokensOf(r: OpenAiRequest): number | undefined | GatewayError {
  const field = r.kind === 'chat' && r.json.max_completion_tokens !== undefined && r.json.max_completion_tokens !== null ? 'max_completion_tokens' : 'max_tokens';
  const v = r.json[field];
  if (v === undefined || v === null) return undefined;
  if (!Number.isInteger(v) || (v as number) < 1) return badRequest(`${field} must be an integer >= 1`, field);
  return v as number;
}

/** Refuses what a native generate API cannot express (n > 1, tools, logprobs). */
export function unsupported(r: OpenAiRequest): GatewayError | null {
  const j = r.json;
  if (j.n !== undefined && j.n !== null && j.n !== 1) return badRequest('this engine generates one choice per request (n must be 1)', 'n');
  if (Array.isArray(j.tools) && j.tools.length > 0) return badRequest('tool calls are not supported by this engine', 'tools');
  if (j.logprobs === true || (typeof j.logprobs === 'number' && j.logprobs > 0)) return badRequest('logprobs are not supported by this engine', 'logprobs');
  return null;
}

/** Sampling fields passed through when set: temperature, top_p, seed, stop, ignore_eos. */
export function samplingOf(r: OpenAiRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['temperature', 'top_p', 'seed', 'stop', 'ignore_eos']) {
    const v = r.json[k];
    if (v !== undefined && v !== null) out[k] = v;
  }
  return out;
}

/** Where an engine's answer object keeps what OpenAI needs (field names differ per engine). */
export interface AnswerFields {
  text: string;
  finishReason: string;
  promptTokens: string;
  completionTokens: string;
}

/** The text, finish reason and token counts of one answer object, read through `f`. */
export function answerEvent(o: Record<string, unknown>, f: AnswerFields): NativeEvent {
  const text = o[f.text];
  const e: NativeEvent = { text: typeof text === 'string' ? text : '' };
  const finish = o[f.finishReason];
  // Triton's vLLM backend sends "None" (Python's) while a stream is not finished.
  if (typeof finish === 'string' && finish !== '' && finish !== 'None') e.finishReason = finish;
  const pt = o[f.promptTokens];
  if (typeof pt === 'number') e.promptTokens = pt;
  const ct = o[f.completionTokens];
  if (typeof ct === 'number') e.completionTokens = ct;
  return e;
}

/** `text` as a JSON object, or null when it is not JSON or not an object. */
export function parseObject(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
