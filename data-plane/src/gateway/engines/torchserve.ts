// TorchServe: POST /predictions/<m> with the LLM handler contract MatrixInfer documents
// ({prompt, max_new_tokens, stream, sampling fields}); the answer is {text, finish_reason,
// prompt_tokens, completion_tokens}, or with stream: true JSON lines over chunked encoding
// (TorchServe's intermediate responses), the last with the finish reason and counts. Errors are
// TorchServe's {"code", "type", "message"}.
import { GatewayError } from '../errors.js';
import { answerEvent, maxTokensOf, parseObject, promptOf, samplingOf, unsupported } from './prompt.js';
import type { EngineAdapter, NativeEvent, NativeRequest, OpenAiRequest, StreamDecoder } from './types.js';

const FIELDS = { text: 'text', finishReason: 'finish_reason', promptTokens: 'prompt_tokens', completionTokens: 'completion_tokens' };

function eventOf(o: Record<string, unknown>): NativeEvent {
  return typeof o.message === 'string' && typeof o.code === 'number' ? { text: '', error: o.message } : answerEvent(o, FIELDS);
}

/** JSON lines as they complete; a stream's token counts come once, on its last line. */
class LinesDecoder implements StreamDecoder {
  private buf = '';

  feed(text: string): NativeEvent[] {
    this.buf += text;
    const out: NativeEvent[] = [];
    let at: number;
    while ((at = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, at).trim();
      this.buf = this.buf.slice(at + 1);
      if (line !== '') out.push(this.line(line));
    }
    return out;
  }

  end(): NativeEvent[] {
    const line = this.buf.trim();
    this.buf = '';
    return line === '' ? [] : [this.line(line)];
  }

  private line(line: string): NativeEvent {
    const o = parseObject(line);
    if (o === null) return { text: '', error: `undecodable line from TorchServe: ${line.slice(0, 200)}` };
    const e = eventOf(o);
    // The last line's completion_tokens is the total, not an increment.
    if (e.completionTokens !== undefined) {
      e.totalCompletionTokens = e.completionTokens;
      delete e.completionTokens;
    }
    return e;
  }
}

/** The TorchServe adapter. */
export const torchserveAdapter: EngineAdapter = {
  engine: 'TorchServe',
  request(r: OpenAiRequest): NativeRequest | GatewayError {
    const refused = unsupported(r);
    if (refused !== null) return refused;
    const prompt = promptOf(r);
    if (prompt instanceof GatewayError) return prompt;
    const max = maxTokensOf(r);
    if (max instanceof GatewayError) return max;
    const body: Record<string, unknown> = { prompt, stream: r.stream, ...samplingOf(r) };
    if (max !== undefined) body.max_new_tokens = max;
    return { path: `/predictions/${encodeURIComponent(r.upstreamModel)}`, body: Buffer.from(JSON.stringify(body)) };
  },
  decodeBody(text) {
    const o = parseObject(text);
    return o === null ? { text: '', error: 'undecodable answer from TorchServe' } : eventOf(o);
  },
  streamDecoder: () => new LinesDecoder(),
  errorMessage(text) {
    const o = parseObject(text);
    return typeof o?.message === 'string' ? o.message : text.slice(0, 500);
  },
};
