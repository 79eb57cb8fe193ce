// The upstream handler of one attempt to a native engine: it sits between the upstream client
// and the Exchange, turning the engine's answer into OpenAI bytes before the Exchange sees them,
// so retries, backpressure, metering, usage accounting and timeouts work unchanged. A success
// stream is translated as it arrives; a JSON body or an error body is collected and rewritten
// at its end (the Exchange writes the status line with the first bytes it gets).
import type { UpstreamHandler } from '../upstream.js';
import { errorJson, finishOf, OpenAiWriter, usageOf } from './openai-out.js';
import type { EngineAdapter, NativeEvent, StreamDecoder } from './types.js';

const SSE_TYPE = 'text/event-stream; charset=utf-8';
const JSON_TYPE = 'application/json';

/** Raw headers without the ones the translation changes, plus the new content type. */
function rewrite(raw: Array<Buffer | string>, contentType: string): Array<Buffer | string> {
  const out: Array<Buffer | string> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const n = raw[i].toString().toLowerCase();
    if (n === 'content-type' || n === 'content-length' || n === 'transfer-encoding') continue;
    out.push(raw[i], raw[i + 1]);
  }
  out.push('content-type', contentType);
  return out;
}

/** Translates one attempt's answer for `inner` (the Exchange). */
export class NativeRelay implements UpstreamHandler {
  private status = 0;
  private translating = false;
  private collected = '';
  private decoder: StreamDecoder | null = null;
  private ended = false;
  private prompt: number | undefined;
  private completion: number | undefined;
  private total: number | undefined;
  private reason: string | undefined;

  constructor(
    private readonly inner: UpstreamHandler,
    private readonly adapter: EngineAdapter,
    private readonly writer: OpenAiWriter,
    private readonly stream: boolean,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    this.inner.onConnect(abort);
  }

  onHeaders(statusCode: number, rawHeaders: Array<Buffer | string>, resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.translating = statusCode === 200 && this.stream;
    if (this.translating) this.decoder = this.adapter.streamDecoder();
    return this.inner.onHeaders(statusCode, rewrite(rawHeaders, this.translating ? SSE_TYPE : JSON_TYPE), resume, statusText);
  }

  onData(chunk: Buffer): boolean {
    if (!this.translating) {
      this.collected += chunk.toString('utf8');
      return true;
    }
    if (this.ended) return true;
    const out = this.events(this.decoder!.feed(chunk.toString('utf8')));
    return out === '' ? true : this.inner.onData(Buffer.from(out));
  }

  onComplete(trailers: unknown): void {
    let out: string;
    if (this.translating) {
      out = this.ended ? '' : this.events(this.decoder!.end());
      if (!this.ended) out += this.writer.finish(finishOf({ finishReason: this.reason }), usageOf(this.prompt, this.total ?? this.completion));
    } else if (this.status === 200) {
      const e = this.adapter.decodeBody(this.collected);
      out = e.error !== undefined ? errorJson(502, e.error) : this.writer.body(e.text, finishOf(e), usageOf(e.promptTokens, e.totalCompletionTokens ?? e.completionTokens));
    } else {
      out = errorJson(this.status, this.adapter.errorMessage(this.collected));
    }
    if (out !== '') this.inner.onData(Buffer.from(out));
    this.inner.onComplete(trailers);
  }

  onError(err: Error): void {
    this.inner.onError(err);
  }

  // OpenAI chunks of decoded events; an engine error ends the stream with an error event.
  private events(events: NativeEvent[]): string {
    let out = '';
    for (const e of events) {
      if (this.ended) break;
      if (e.error !== undefined) {
        this.ended = true;
        out += this.writer.streamError(500, e.error);
        break;
      }
      if (e.promptTokens !== undefined) this.prompt = e.promptTokens;
      if (e.completionTokens !== undefined) this.completion = (this.completion ?? 0) + e.completionTokens;
      if (e.totalCompletionTokens !== undefined) this.total = e.totalCompletionTokens;
      if (e.finishReason !== undefined) this.reason = e.finishReason;
      out += this.writer.delta(e.text);
    }
    return out;
  }
}
