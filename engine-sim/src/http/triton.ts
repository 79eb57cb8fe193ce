// Triton mode: the KServe v2 HTTP endpoints a Triton server with an LLM backend answers.
// Generation is the generate extension, POST /v2/models/<m>[/versions/<v>]/generate (one JSON
// object) and .../generate_stream (SSE, one `data:` event per response, no [DONE]); the body is
// {text_input, parameters?, ...} with extra fields read as inputs, the way the vLLM backend reads
// max_tokens/ignore_eos (top level, in parameters, or in the sampling_parameters JSON string) and
// the return_finish_reason / return_num_input_tokens / return_num_output_tokens switches.
// Errors are {"error": "<message>"}. The model repository extension (index, load, unload) is
// served on triton-repository.ts: a model answers generate only while it is loaded.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { handleGeneration } from './generate.js';
import { sendError, sendJson, sendText } from './io.js';
import { firstField, objectOf, type NativeMapper, type NativeShape } from './native.js';
import { TRITON_MODEL_VERSION } from './triton-repository.js';

/** The vLLM backend's max_tokens when a request sets none (vLLM SamplingParams' default). */
export const TRITON_DEFAULT_MAX_TOKENS = 16;
const GENERATE = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/(generate|generate_stream)$/;
const MODEL = /^\/v2\/models\/([^/]+)(?:\/versions\/[^/]+)?(\/ready)?$/;
const REPOSITORY = /^\/v2\/repository\/models\/([^/]+)\/(load|unload)$/;

function shape(model: string, want: { reason: boolean; input: boolean; output: boolean }): NativeShape {
  const head = `{"model_name":${JSON.stringify(model)},"model_version":"${TRITON_MODEL_VERSION}","text_output":`;
  const extras = (reason: string | null, prompt: number, completion: number): string =>
    (want.reason && reason !== null ? `,"finish_reason":${JSON.stringify(reason)}` : '')
    + (want.input ? `,"num_input_tokens":${prompt}` : '') + (want.output ? `,"num_output_tokens":${completion}` : '');
  return {
    streamHeaders: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' },
    // A streamed response carries its own text and token count (the vLLM backend's delta outputs).
    event: (delta, reason, prompt) => `data: ${head}${JSON.stringify(delta)}${extras(reason, prompt, 1)}}\n\n`,
    streamEnd: () => '',
    body: (text, info) => `${head}${JSON.stringify(text)}${extras(info.reason, info.promptTokens, info.completionTokens)}}`,
    streamError: (message) => `data: ${JSON.stringify({ error: message })}\n\n`,
  };
}

function mapper(ctx: SimContext, model: string, stream: boolean): NativeMapper {
  return (raw) => {
    const body = objectOf(raw);
    if (!body) return { error: { status: 400, message: 'failed to parse the request JSON buffer: the request must be a JSON object' } };
    if (typeof body.text_input !== 'string') return { error: { status: 400, message: "expected 'text_input' of type string in the generate request" } };
    let sampling: Record<string, unknown> | undefined;
    if (typeof body.sampling_parameters === 'string') {
      try {
        sampling = objectOf(JSON.parse(body.sampling_parameters));
      } catch {
        return { error: { status: 400, message: "'sampling_parameters' must be a JSON object serialized as a string" } };
      }
    }
    const sources = [body, objectOf(body.parameters), sampling];
    const on = (k: string): boolean => firstField(sources, k) === true;
    const maxTokens = firstField(sources, 'max_tokens');
    const mapped: Record<string, unknown> = {
      model: ctx.opts.model, prompt: body.text_input, stream, ignore_eos: on('ignore_eos'),
      max_tokens: maxTokens === undefined ? TRITON_DEFAULT_MAX_TOKENS : maxTokens,
    };
    return { body: mapped, shape: shape(model, { reason: on('return_finish_reason'), input: on('return_num_input_tokens'), output: on('return_num_output_tokens') }) };
  };
}

/** Not loaded: never loaded or not in the repository ("is not found"), unloaded ("has no available versions"). */
function unknownModel(res: ServerResponse, name: string, state: 'unloaded' | 'unknown' | 'ready'): void {
  const why = state === 'unloaded' ? 'has no available versions' : 'is not found';
  sendError(res, 'triton', { status: 404, message: `Request for unknown model: '${name}' ${why}` });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (text += d));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

/** POST /v2/repository/index: {"ready": bool} (optional; an empty body is allowed). */
function handleIndex(req: IncomingMessage, res: ServerResponse, ctx: SimContext): void {
  void readBody(req).then((text) => {
    let ready = false;
    if (text.trim() !== '') {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return sendJson(res, 400, { error: 'failed to parse the request JSON buffer: Invalid value.' });
      }
      const r = objectOf(body)?.ready;
      if (r !== undefined && typeof r !== 'boolean') return sendJson(res, 400, { error: "Unable to parse 'ready'" });
      ready = r === true;
    }
    sendJson(res, 200, ctx.repository.index(ready));
  }, () => res.destroy());
}

/** Serves a Triton endpoint; false when `path` is not one. */
export function routeTriton(path: string, method: string, req: IncomingMessage, res: ServerResponse, ctx: SimContext): boolean {
  const ready = ctx.clock.nowMs() >= ctx.readyAtMs;
  const gen = GENERATE.exec(path);
  if (gen) {
    if (method !== 'POST') return false;
    const name = decodeURIComponent(gen[1]);
    const state = ctx.repository.stateOf(name);
    if (state !== 'ready') {
      req.resume();
      unknownModel(res, name, state);
      return true;
    }
    void handleGeneration('native', req, res, ctx, mapper(ctx, name, gen[3] === 'generate_stream'));
    return true;
  }
  switch (path) {
    case '/v2/health/live':
      sendText(res, 200, '');
      return true;
    case '/v2/health/ready':
      sendText(res, ready ? 200 : 503, '');
      return true;
    case '/v2':
      sendJson(res, 200, { name: 'triton', version: '2.54.0-sim', extensions: ['classification', 'sequence', 'model_repository', 'schedule_policy', 'model_configuration', 'system_shared_memory', 'binary_tensor_data', 'parameters', 'statistics', 'trace', 'logging', 'generate'] });
      return true;
    case '/v2/repository/index':
      if (method !== 'POST') return false;
      handleIndex(req, res, ctx);
      return true;
  }
  const repo = REPOSITORY.exec(path);
  if (repo) {
    if (method !== 'POST') return false;
    req.resume();
    const name = decodeURIComponent(repo[1]);
    const a = repo[2] === 'load' ? ctx.repository.load(name) : ctx.repository.unload(name);
    if (a.status === 200) sendText(res, 200, '');
    else sendJson(res, a.status, a.body);
    return true;
  }
  const m = MODEL.exec(path);
  if (m && method === 'GET') {
    const name = decodeURIComponent(m[1]);
    const state = ctx.repository.stateOf(name);
    if (state !== 'ready') {
      if (m[2]) sendText(res, 400, '');
      else unknownModel(res, name, state);
    } else if (m[2]) sendText(res, ready ? 200 : 503, '');
    else {
      sendJson(res, 200, {
        name, versions: [TRITON_MODEL_VERSION], platform: 'vllm',
        inputs: [{ name: 'text_input', datatype: 'BYTES', shape: [1] }, { name: 'stream', datatype: 'BOOL', shape: [1] }, { name: 'sampling_parameters', datatype: 'BYTES', shape: [1] }],
        outputs: [{ name: 'text_output', datatype: 'BYTES', shape: [-1] }, { name: 'finish_reason', datatype: 'BYTES', shape: [-1] }, { name: 'num_input_tokens', datatype: 'UINT32', shape: [1] }, { name: 'num_output_tokens', datatype: 'UINT32', shape: [-1] }],
      });
    }
    return true;
  }
  return false;
}
