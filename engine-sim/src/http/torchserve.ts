// TorchServe mode: the inference API a TorchServe server with an LLM handler answers, plus its
// management API (torchserve-management.ts) unless it has a port of its own. POST /predictions/<m>[/<version>] takes the handler's JSON body
// {prompt, max_new_tokens?, stream?, ignore_eos?}; a non-streamed answer is one JSON object
// {text, finish_reason, prompt_tokens, completion_tokens}, a streamed one is TorchServe's
// intermediate responses over HTTP chunked encoding, here one JSON line per token ({"text"})
// and a last line with the finish reason and token counts. Errors are TorchServe's
// {"code", "type", "message"}; GET /ping answers {"status": "Healthy"}.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import { handleGeneration } from './generate.js';
import { sendError, sendJson } from './io.js';
import { objectOf, type NativeMapper, type NativeShape } from './native.js';
import { routeManagement } from './torchserve-management.js';

/** The handler's max_new_tokens when a request sets none. */
export const TORCHSERVE_DEFAULT_MAX_NEW_TOKENS = 128;
const PREDICT = /^\/predictions\/([^/]+)(?:\/([^/]+))?$/;

const SHAPE: NativeShape = {
  streamHeaders: { 'content-type': 'application/x-ndjson' },
  event: (delta) => `{"text":${JSON.stringify(delta)}}\n`,
  streamEnd: (info) => `${JSON.stringify({ text: '', finish_reason: info.reason, prompt_tokens: info.promptTokens, completion_tokens: info.completionTokens })}\n`,
  body: (text, info) => JSON.stringify({ text, finish_reason: info.reason, prompt_tokens: info.promptTokens, completion_tokens: info.completionTokens }),
  streamError: (message) => `${JSON.stringify({ code: 500, type: 'InternalServerException', message })}\n`,
};

function mapper(ctx: SimContext): NativeMapper {
  return (raw) => {
    const body = objectOf(raw);
    if (!body || typeof body.prompt !== 'string') return { error: { status: 400, message: 'the handler expects a JSON object with a string "prompt"' } };
    const max = body.max_new_tokens ?? TORCHSERVE_DEFAULT_MAX_NEW_TOKENS;
    return { body: { model: ctx.opts.model, prompt: body.prompt, max_tokens: max, stream: body.stream === true, ignore_eos: body.ignore_eos === true }, shape: SHAPE };
  };
}

/** Serves a TorchServe endpoint; false when `path` is not one. */
export function routeTorchserve(path: string, method: string, req: IncomingMessage, res: ServerResponse, ctx: SimContext): boolean {
  const o = ctx.opts;
  const pred = PREDICT.exec(path);
  if (pred) {
    if (method !== 'POST' && method !== 'PUT') return false;
    const name = decodeURIComponent(pred[1]);
    const model = ctx.registry.get(name);
    if (!model || model.workers.length === 0) {
      req.resume();
      // Unregistered: 404; registered without a worker: 503, as TorchServe answers both.
      if (!model) sendError(res, 'torchserve', { status: 404, message: `Model not found: ${name}` });
      else sendError(res, 'torchserve', { status: 503, message: `No worker is available to serve request: ${name}` });
      return true;
    }
    void handleGeneration('native', req, res, ctx, mapper(ctx));
    return true;
  }
  if (path === '/ping') {
    const ready = ctx.clock.nowMs() >= ctx.readyAtMs;
    sendJson(res, ready ? 200 : 500, { status: ready ? 'Healthy' : 'Unhealthy' });
    return true;
  }
  // The management API, here when it has no port of its own.
  if (o.managementPort !== undefined) return false;
  const url = req.url ?? '';
  return routeManagement(path, url.includes('?') ? url.slice(url.indexOf('?') + 1) : '', method, req, res, ctx);
  return false;
}
