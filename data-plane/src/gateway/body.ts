// Request body handling: parse, validate the model field, extract the prompt text, and rewrite
// the model name for the upstream. Pure functions over bytes.
import { badRequest, type GatewayError } from './errors.js';

/** A parsed OpenAI request body. */
export interface ParsedBody {
  json: Record<string, unknown>;
  model: string;
  stream: boolean;
}

/**
 * Deepest nesting of arrays and objects accepted in a body. JSON.parse takes any depth, but
 * JSON.stringify of a value nested some thousands deep overflows the stack, and the gateway
 * re-serializes bodies (model rewrite, usage request, PD legs): found by the gateway fuzz suite.
 */
export const MAX_BODY_DEPTH = 128;

/**
 * True when a parsed JSON value nests arrays/objects deeper than `limit` (the value itself is
 * level 1). Walks the parsed value rather than the bytes: a request is a few objects around long
 * strings, so this visits a handful of nodes where a byte scan reads every character of the
 * prompt. Recursion stops at `limit`, so the stack stays bounded.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit <= 0) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (nestsDeeperThan(value[i], limit - 1)) return true;
    return false;
  }
  for (const k in value) if (nestsDeeperThan((value as Record<string, unknown>)[k], limit - 1)) return true;
  return false;
}

/** Parses the body; malformed JSON, nesting over MAX_BODY_DEPTH, a non-object, or a missing/non-string model is a 400. */
export function parseBody(raw: Buffer): ParsedBody | GatewayError {
  let v: unknown;
  try {
    v = JSON.parse(raw.toString('utf8'));
  } catch {
    return badRequest('request body is not valid JSON');
  }
  if (nestsDeeperThan(v, MAX_BODY_DEPTH)) return badRequest(`request body nests arrays/objects deeper than ${MAX_BODY_DEPTH} levels`);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return badRequest('request body must be a JSON object');
  const json = v as Record<string, unknown>;
  const model = json.model;
  if (typeof model !== 'string' || model.length === 0) return badRequest('`model` must be a non-empty string', 'model');
  return { json, model, stream: json.stream === true };
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let s = '';
  for (const part of content) {
    if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') s += (part as { text: string }).text;
  }
  return s;
}

/** The text that reaches the engine's prompt: `prompt`, or chat messages' content in order. */
export function promptText(json: Record<string, unknown>): string {
  const prompt = json.prompt;
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt)) {
    let s = '';
    for (const p of prompt) if (typeof p === 'string') s += p;
    return s;
  }
  const messages = json.messages;
  if (!Array.isArray(messages)) return '';
  let s = '';
  for (const m of messages) if (m && typeof m === 'object') s += contentText((m as { content?: unknown }).content);
  return s;
}

/** Estimated tokens of a text (chars/4; undercounts CJK and code, see reference/engines.md). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * Asks the engine for the usage event of a stream (stream_options.include_usage); true when
 * the client had not asked, so the body changed and the event must not reach the client.
 */
export function askForUsage(parsed: ParsedBody): boolean {
  const so = parsed.json.stream_options;
  const opts = typeof so === 'object' && so !== null && !Array.isArray(so) ? (so as Record<string, unknown>) : {};
  if (opts.include_usage === true) return false;
  parsed.json.stream_options = { ...opts, include_usage: true };
  return true;
}

/** The body to send upstream: the original bytes when nothing changed (model, or `changed` fields), else re-serialized. */
export function upstreamBody(raw: Buffer, parsed: ParsedBody, upstreamModel: string, changed = false): Buffer {
  if (upstreamModel === parsed.model && !changed) return raw;
  parsed.json.model = upstreamModel;
  return Buffer.from(JSON.stringify(parsed.json));
}
