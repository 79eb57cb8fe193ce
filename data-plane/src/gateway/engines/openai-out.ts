// OpenAI response shapes written from decoded native answers: chat.completion / text_completion
// bodies, and SSE chunks (a role chunk first for chat, content chunks, a finish chunk, the
// usage chunk when include_usage, then [DONE]) as vLLM writes them. Pure string building.
import type { NativeEvent, OpenAiKind } from './types.js';

/** Token usage of one answer. */
export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** The OpenAI error `type` of an engine status (vLLM's names). */
export function errorType(status: number): string {
  if (status === 400) return 'BadRequestError';
  if (status === 404) return 'NotFoundError';
  if (status === 429) return 'RateLimitError';
  if (status === 503) return 'ServiceUnavailableError';
  return status >= 500 ? 'InternalServerError' : 'BadRequestError';
}

/** An OpenAI error body of an engine error. */
export function errorJson(status: number, message: string): string {
  return JSON.stringify({ error: { message, type: errorType(status), param: null, code: status } });
}

/** Writes one answer in OpenAI shapes. */
export class OpenAiWriter {
  private rolled = false;
  private readonly prefix: string;

  constructor(
    private readonly kind: OpenAiKind,
    private readonly id: string,
    private readonly model: string,
    private readonly created: number,
    private readonly includeUsage: boolean,
  ) {
    const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    this.prefix = `data: {"id":${JSON.stringify(id)},"object":"${object}","created":${created},"model":${JSON.stringify(model)},"choices":`;
  }

  private choice(text: string | null, reason: string | null): string {
    const r = reason === null ? 'null' : JSON.stringify(reason);
    if (this.kind === 'chat') {
      const delta = text === null ? '{}' : `{"content":${JSON.stringify(text)}}`;
      return `[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${r}}]`;
    }
    return `[{"index":0,"text":${JSON.stringify(text ?? '')},"logprobs":null,"finish_reason":${r}}]`;
  }

  /** The chunk(s) of one piece of streamed text ('' when there is nothing to send). */
  delta(text: string): string {
    let out = '';
    if (this.kind === 'chat' && !this.rolled) {
      this.rolled = true;
      out += `${this.prefix}[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n`;
    }
    if (text !== '') out += `${this.prefix}${this.choice(text, null)}}\n\n`;
    return out;
  }

  /** The end of a stream: the finish chunk, the usage chunk when asked for, [DONE]. */
  finish(reason: string, usage: OpenAiUsage | null): string {
    let out = this.delta('') + `${this.prefix}${this.choice(null, reason)}}\n\n`;
    if (this.includeUsage && usage !== null) out += `${this.prefix}[],"usage":${JSON.stringify(usage)}}\n\n`;
    return `${out}data: [DONE]\n\n`;
  }

  /** A failure after the stream started: an error event, then [DONE] (as vLLM). */
  streamError(status: number, message: string): string {
    return `data: ${errorJson(status, message)}\n\ndata: [DONE]\n\n`;
  }

  /** A whole non-streamed answer. */
  body(text: string, reason: string, usage: OpenAiUsage | null): string {
    const r = JSON.stringify(reason);
    const head = `{"id":${JSON.stringify(this.id)},"object":"${this.kind === 'chat' ? 'chat.completion' : 'text_completion'}","created":${this.created},"model":${JSON.stringify(this.model)},"choices":`;
    const choice = this.kind === 'chat'
      ? `[{"index":0,"message":{"role":"assistant","content":${JSON.stringify(text)}},"logprobs":null,"finish_reason":${r}}]`
      : `[{"index":0,"text":${JSON.stringify(text)},"logprobs":null,"finish_reason":${r}}]`;
    return `${head}${choice},"usage":${usage === null ? 'null' : JSON.stringify(usage)}}`;
  }
}

/** Usage from what the engine reported (null when it reported no counts). */
export function usageOf(prompt: number | undefined, completion: number | undefined): OpenAiUsage | null {
  if (prompt === undefined && completion === undefined) return null;
  const p = prompt ?? 0;
  const c = completion ?? 0;
  return { prompt_tokens: p, completion_tokens: c, total_tokens: p + c };
}

/** OpenAI's finish_reason of an engine's ('length' and 'stop' pass, an abort is 'abort'; unknown: 'stop'). */
export function finishOf(e: Pick<NativeEvent, 'finishReason'> | undefined): string {
  const r = e?.finishReason;
  return r === 'length' || r === 'stop' || r === 'abort' ? r : 'stop';
}
