// Triton (KServe v2 generate extension): POST /v2/models/<m>/generate for a JSON answer,
// .../generate_stream for SSE. The request is {text_input, parameters, stream, return_*}: the
// sampling parameters in `parameters` (the vLLM backend reads them there, TensorRT-LLM
// ensembles take max_tokens as an input, which Triton fills from the same parameters), and the
// vLLM backend's return_finish_reason / return_num_input_tokens / return_num_output_tokens so
// the answer carries what OpenAI's finish_reason and usage need. Errors are {"error": message}.
import { GatewayError } from '../errors.js';
import { answerEvent, maxTokensOf, parseObject, promptOf, samplingOf, unsupported } from './prompt.js';
import type { EngineAdapter, NativeEvent, NativeRequest, OpenAiRequest, StreamDecoder } from './types.js';

const FIELDS = { text: 'text_output', finishReason: 'finish_reason', promptTokens: 'num_input_tokens', completionTokens: 'num_output_tokens' };

function eventOf(o: Record<string, unknown>): NativeEvent {
  return typeof o.error === 'string' ? { text: '', error: o.error } : answerEvent(o, FIELDS);
}

/** Splits an SSE body into `data:` payloads as they complete (events end with a blank line). */
class SseDecoder implements StreamDecoder {
  private buf = '';

  feed(text: string): NativeEvent[] {
    this.buf += text;
    const out: NativeEvent[] = [];
    let at: number;
    while ((at = this.buf.search(/\r?\n\r?\n/)) >= 0) {
      const frame = this.buf.slice(0, at);
      this.buf = this.buf.slice(at).replace(/^\r?\n\r?\n/, '');
      this.frame(frame, out);
    }
    return out;
  }

  end(): NativeEvent[] {
    const out: NativeEvent[] = [];
    if (this.buf.trim() !== '') this.frame(this.buf, out);
    this.buf = '';
    return out;
  }

  private frame(frame: string, out: NativeEvent[]): void {
    let data = '';
    for (const line of frame.split(/\r?\n/)) if (line.startsWith('data:')) data += line.slice(line[5] === ' ' ? 6 : 5);
    if (data === '') return;
    const o = parseObject(data);
    out.push(o === null ? { text: '', error: `undecodable event from Triton: ${data.slice(0, 200)}` } : eventOf(o));
  }
}

/** The Triton adapter. */
export const tritonAdapter: EngineAdapter = {
  engine: 'Triton',
  request(r: OpenAiRequest): NativeRequest | GatewayError {
    const refused = unsupported(r);
    if (refused !== null) return refused;
    const prompt = promptOf(r);
    if (prompt instanceof GatewayError) return prompt;
    const max = maxTokensOf(r);
    if (max instanceof GatewayError) return max;
    const parameters = samplingOf(r);
    if (max !== undefined) parameters.max_tokens = max;
    const body = { text_input: prompt, parameters, stream: r.stream, return_finish_reason: true, return_num_input_tokens: true, return_num_output_tokens: true };
    const path = `/v2/models/${encodeURIComponent(r.upstreamModel)}/${r.stream ? 'generate_stream' : 'generate'}`;
    return { path, body: Buffer.from(JSON.stringify(body)) };
  },
  decodeBody(text) {
    const o = parseObject(text);
    return o === null ? { text: '', error: 'undecodable answer from Triton' } : eventOf(o);
  },
  streamDecoder: () => new SseDecoder(),
  errorMessage(text) {
    const o = parseObject(text);
    return typeof o?.error === 'string' ? o.error : text.slice(0, 500);
  },
};
