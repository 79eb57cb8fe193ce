// Per-engine translation for ModelServers whose engine does not speak OpenAI (Triton,
// TorchServe). vLLM and SGLang have no adapter: their requests never reach this code.
import type { EngineFamily } from '@matrixinfer/events';
import { GatewayError } from '../errors.js';
import type { UpstreamHandler } from '../upstream.js';
import { OpenAiWriter } from './openai-out.js';
import { NativeRelay } from './relay.js';
import { torchserveAdapter } from './torchserve.js';
import { tritonAdapter } from './triton.js';
import type { EngineAdapter, OpenAiKind } from './types.js';

export type { EngineAdapter } from './types.js';

const ADAPTERS: Partial<Record<EngineFamily, EngineAdapter>> = { Triton: tritonAdapter, TorchServe: torchserveAdapter };

/** The adapter of an engine family; undefined for the OpenAI-speaking ones (vLLM, SGLang). */
export function adapterFor(engine: EngineFamily): EngineAdapter | undefined {
  return ADAPTERS[engine];
}

/** One request's translation: the native path and body, and a relay per attempt. */
export class NativeTranslation {
  constructor(
    readonly path: string,
    readonly body: Buffer,
    private readonly adapter: EngineAdapter,
    private readonly kind: OpenAiKind,
    private readonly id: string,
    private readonly model: string,
    private readonly stream: boolean,
    private readonly includeUsage: boolean,
  ) {}

  /** The upstream handler of one attempt, translating for `inner`. */
  relay(inner: UpstreamHandler): UpstreamHandler {
    const writer = new OpenAiWriter(this.kind, this.id, this.model, Math.floor(Date.now() / 1000), this.includeUsage);
    return new NativeRelay(inner, this.adapter, writer, this.stream);
  }
}

/** Translates an OpenAI request for `adapter` (a GatewayError for what the engine cannot take). */
export function translate(adapter: EngineAdapter, path: string, json: Record<string, unknown>, upstreamModel: string, requestId: string): NativeTranslation | GatewayError {
  const kind: OpenAiKind = path === '/v1/chat/completions' ? 'chat' : 'completion';
  const stream = json.stream === true;
  const so = json.stream_options;
  const includeUsage = stream && typeof so === 'object' && so !== null && (so as { include_usage?: unknown }).include_usage === true;
  const r = adapter.request({ kind, json, upstreamModel, stream });
  if (r instanceof GatewayError) return r;
  const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${requestId}`;
  return new NativeTranslation(r.path, r.body, adapter, kind, id, upstreamModel, stream, includeUsage);
}
