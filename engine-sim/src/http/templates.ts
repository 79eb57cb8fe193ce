// Pre-serialised response shapes of one OpenAI chat/completions request: the parts of every
// stream chunk and of the final body that do not change within a request (id, created, model)
// are serialised once, so each token costs a string concatenation instead of building an object
// and running JSON.stringify over it. The bytes are exactly those of the object builders in
// shapes.ts (JSON.stringify of an object is its fields' serialisations joined in insertion
// order, no whitespace); templates.test.ts holds them to it.

import type { ApiKind } from './parse.js';
import type { ResponseHead, Usage } from './shapes.js';

/** JSON text of a usage block (the same bytes as JSON.stringify(usage(...))). */
export function usageJson(prompt: number, completion: number, cachedTokens?: number): string {
  const details = cachedTokens === undefined ? 'null' : `{"cached_tokens":${cachedTokens}}`;
  return `{"prompt_tokens":${prompt},"total_tokens":${prompt + completion},"completion_tokens":${completion},"prompt_tokens_details":${details}}`;
}

/** JSON text of a Usage object built by shapes.usage. */
export function usageObjectJson(u: Usage): string {
  return usageJson(u.prompt_tokens, u.completion_tokens, u.prompt_tokens_details === null ? undefined : u.prompt_tokens_details.cached_tokens);
}

/** The serialised shapes of one chat or completion request ('generate' uses shapes.ts). */
export class ResponseTemplates {
  /** `data: {"id":...,"model":...,"choices":[{"index":0,` (built on first use: a request streams or it does not). */
  private head?: string;

  constructor(
    private readonly kind: Exclude<ApiKind, 'generate' | 'native'>,
    private readonly rh: ResponseHead,
  ) {}

  /** `"id":...,"object":...,"created":...,"model":...` with the chunk or the full-body object name. */
  private fields(object: string): string {
    const h = this.rh;
    return `"id":${JSON.stringify(h.id)},"object":"${object}","created":${JSON.stringify(h.created)},"model":${JSON.stringify(h.model)}`;
  }

  private get chunkHead(): string {
    this.head ??= `data: {${this.fields(this.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion')},"choices":[{"index":0,`;
    return this.head;
  }

  /**
   * One stream chunk carrying the JSON-encoded text `textJson` (as shapes.streamChunk). `usage`:
   * undefined omits the field, null sends `"usage":null`, a string is the usage JSON.
   */
  chunk(textJson: string, reason: string | null, usage: string | null | undefined): string {
    const tail = usage === undefined ? '}\n\n' : usage === null ? ',"usage":null}\n\n' : `,"usage":${usage}}\n\n`;
    if (this.kind === 'chat') {
      const end = reason === null ? '"finish_reason":null}]' : `"finish_reason":${JSON.stringify(reason)},"stop_reason":null}]`;
      return `${this.chunkHead}"delta":{"content":${textJson}},"logprobs":null,${end}${tail}`;
    }
    const finish = reason === null ? 'null' : JSON.stringify(reason);
    return `${this.chunkHead}"text":${textJson},"logprobs":null,"finish_reason":${finish},"stop_reason":null}]${tail}`;
  }

  /** The first chat chunk: the assistant role with empty content. */
  roleChunk(usage: string | null | undefined): string {
    const tail = usage === undefined ? '}\n\n' : usage === null ? ',"usage":null}\n\n' : `,"usage":${usage}}\n\n`;
    return `${this.chunkHead}"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]${tail}`;
  }

  /** The usage-only chunk (choices empty) at the end of an include_usage stream. */
  usageChunk(usage: string): string {
    return `${this.chunkHead.slice(0, this.chunkHead.length - '{"index":0,'.length)}],"usage":${usage}}\n\n`;
  }

  /** The non-streaming body (as shapes.fullResponse); `kvParamsJson` is the kv_transfer_params JSON ('null' when none). */
  full(text: string, reason: string, usage: string, kvParamsJson: string): string {
    const r = JSON.stringify(reason);
    if (this.kind === 'chat') {
      return `{${this.fields('chat.completion')},"choices":[{"index":0,"message":{"role":"assistant","content":${JSON.stringify(text)},"refusal":null,"annotations":null,`
        + `"audio":null,"function_call":null,"tool_calls":[],"reasoning_content":null},"logprobs":null,"finish_reason":${r},"stop_reason":null}],`
        + `"service_tier":null,"system_fingerprint":null,"usage":${usage},"prompt_logprobs":null,"kv_transfer_params":${kvParamsJson}}`;
    }
    return `{${this.fields('text_completion')},"choices":[{"index":0,"text":${JSON.stringify(text)},"logprobs":null,"finish_reason":${r},"stop_reason":null,`
      + `"prompt_logprobs":null}],"service_tier":null,"system_fingerprint":null,"usage":${usage},"kv_transfer_params":${kvParamsJson}}`;
  }
}
