// One interface per engine family the gateway must translate for (Triton, TorchServe): an
// OpenAI request becomes the engine's native request, and the engine's answer is decoded into
// text deltas, a finish reason, token counts and errors that openai-out.ts writes back as
// OpenAI JSON or SSE. vLLM and SGLang speak OpenAI themselves and have no adapter.
import type { GatewayError } from '../errors.js';

/** Which OpenAI endpoint the client called. */
export type OpenAiKind = 'chat' | 'completion';

/** An OpenAI request as an adapter reads it. */
export interface OpenAiRequest {
  kind: OpenAiKind;
  json: Record<string, unknown>;
  /** Model name the engine serves (the ModelServer's model). */
  upstreamModel: string;
  stream: boolean;
}

/** The native request to send instead. */
export interface NativeRequest {
  path: string;
  body: Buffer;
}

/** What a native answer said: text, and when known the finish reason and token counts. */
export interface NativeEvent {
  text: string;
  finishReason?: string;
  promptTokens?: number;
  /** Tokens this event adds (streams) or the whole completion (bodies). */
  completionTokens?: number;
  /** A stream's whole completion so far, when the engine reports a total (wins over the increments). */
  totalCompletionTokens?: number;
  /** The engine reported a failure (mid-stream, or an error body). */
  error?: string;
}

/** Incremental decoder of one streamed native answer. */
export interface StreamDecoder {
  /** Decodes the next body bytes into the events they complete. */
  feed(text: string): NativeEvent[];
  /** Events left in a partial last frame when the body ends. */
  end(): NativeEvent[];
}

/** The translation of one engine family. */
export interface EngineAdapter {
  readonly engine: string;
  /** The native request of an OpenAI request, or a 400 for what the engine cannot express. */
  request(r: OpenAiRequest): NativeRequest | GatewayError;
  /** A non-streamed success body, decoded. */
  decodeBody(text: string): NativeEvent;
  /** A fresh decoder for one streamed answer. */
  streamDecoder(): StreamDecoder;
  /** The message of an error body the engine sent with a non-200 status. */
  errorMessage(text: string): string;
}
