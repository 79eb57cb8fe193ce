// Routing of one simulator's HTTP server: vLLM's or SGLang's endpoint set over node:http.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyChatTemplate, detokenize, tokenize, type ChatMessageLike } from '../engine/tokenizer.js';
import type { SimContext } from './context.js';
import { handleGeneration } from './generate.js';
import { readJson, sendError, sendJson, sendText } from './io.js';
import { handleLoadLora, handleUnloadLora } from './lora.js';
import { routeTorchserve } from './torchserve.js';
import { routeTriton } from './triton.js';

/** Renders /metrics for the engine kind (set up by simulator.ts). */
export type MetricsRenderer = () => string;

/** Creates the request handler of one simulator. */
export function createRouter(ctx: SimContext, renderMetrics: MetricsRenderer): (req: IncomingMessage, res: ServerResponse) => void {
  const engine = ctx.opts.engine;
  const v1 = engine === 'vllm';
  const native = engine === 'triton' ? routeTriton : engine === 'torchserve' ? routeTorchserve : undefined;
  const loadDelay = (): number => ctx.clock.realDelayMs(ctx.opts.loraLoadDelayMs);
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    const method = req.method ?? 'GET';
    // Triton and TorchServe modes: their own endpoint set, and /metrics.
    if (native !== undefined) {
      if (path === '/metrics' && method === 'GET') return sendText(res, 200, renderMetrics(), 'text/plain; version=0.0.4; charset=utf-8');
      if (!native(path, method, req, res, ctx)) sendError(res, engine, { status: 404, message: `Not Found: ${method} ${path}` });
      return;
    }
    // The generation endpoints (the hot path) come first and create no closures per request.
    if (path === '/v1/chat/completions' || path === '/v1/completions') {
      if (method !== 'POST') return sendJson(res, 405, { detail: 'Method Not Allowed' });
      void handleGeneration(path === '/v1/chat/completions' ? 'chat' : 'completion', req, res, ctx);
      return;
    }
    const withBody = (fn: (body: unknown) => void): void => {
      if (method !== 'POST') return sendJson(res, 405, { detail: 'Method Not Allowed' });
      readJson(req).then((b) => {
        if (!b.ok) return sendError(res, engine, { status: 400, message: b.message });
        fn(b.value);
      }).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, engine, { status: 500, message: (err as Error).message ?? 'internal error' });
        else res.destroy();
      });
    };
    switch (path) {
      case '/v1/models':
        return sendJson(res, 200, models(ctx));
      case '/version':
        return sendJson(res, 200, { version: v1 ? '0.11.0-sim' : '0.5.0-sim' });
      case '/ping':
      case '/health':
        if (ctx.clock.nowMs() < ctx.readyAtMs) return sendText(res, 503, '');
        return sendText(res, 200, '');
      case '/metrics':
        return sendText(res, 200, renderMetrics(), 'text/plain; version=0.0.4; charset=utf-8');
      case '/sim/traces':
        return sendJson(res, 200, { traces: ctx.traces.list() });
      case '/tokenize':
        return withBody((body) => tokenizeHandler(ctx, body, res));
      case '/detokenize':
        return withBody((body) => detokenizeHandler(ctx, body, res));
      case '/v1/load_lora_adapter':
      case '/load_lora_adapter':
        if ((path === '/load_lora_adapter') === v1 || (v1 && !ctx.opts.enableLora)) break;
        return withBody((body) => handleLoadLora(engine, ctx.adapters, body, res, loadDelay));
      case '/v1/unload_lora_adapter':
      case '/unload_lora_adapter':
        if ((path === '/unload_lora_adapter') === v1 || (v1 && !ctx.opts.enableLora)) break;
        return withBody((body) => handleUnloadLora(engine, ctx.adapters, body, res));
      case '/sim/nixl/release':
        return withBody((body) => {
          const id = (body as { remote_request_id?: unknown } | null)?.remote_request_id;
          const released = typeof id === 'string' && ctx.core.releaseHeld(id, ctx.clock.nowMs());
          if (released) ctx.loop.kick();
          sendJson(res, 200, { released });
        });
      default:
        if (!v1 && routeSglang(path, method, req, res, ctx)) return;
        if (path.startsWith('/sim/bootstrap/rooms/')) return roomHandler(path, url, res, ctx);
    }
    sendJson(res, 404, { detail: 'Not Found' });
  };
}

function models(ctx: SimContext): unknown {
  const created = Math.floor(Date.now() / 1000);
  const owner = ctx.opts.engine;
  const card = (id: string, root: string, parent: string | null): unknown => ({
    id, object: 'model', created, owned_by: owner, root, parent, max_model_len: ctx.opts.maxModelLen,
    permission: [{
      id: `modelperm-${id}`, object: 'model_permission', created, allow_create_engine: false, allow_sampling: true,
      allow_logprobs: true, allow_search_indices: false, allow_view: true, allow_fine_tuning: false, organization: '*',
      group: null, is_blocking: false,
    }],
  });
  const data = [card(ctx.opts.model, ctx.opts.model, null)];
  for (const a of ctx.adapters.list()) data.push(card(a.name, a.path, ctx.opts.model));
  return { object: 'list', data };
}

function tokenizeHandler(ctx: SimContext, body: unknown, res: ServerResponse): void {
  const b = (body ?? {}) as Record<string, unknown>;
  let tokens: number[];
  if (typeof b.prompt === 'string') tokens = tokenize(b.prompt);
  else if (Array.isArray(b.messages)) tokens = tokenize(applyChatTemplate(b.messages as ChatMessageLike[], b.add_generation_prompt !== false));
  else return sendError(res, ctx.opts.engine, { status: 400, message: 'prompt or messages is required' });
  sendJson(res, 200, { count: tokens.length, max_model_len: ctx.opts.maxModelLen, tokens, token_strs: null });
}

function detokenizeHandler(ctx: SimContext, body: unknown, res: ServerResponse): void {
  const b = (body ?? {}) as Record<string, unknown>;
  if (!Array.isArray(b.tokens) || !b.tokens.every((t) => Number.isInteger(t))) {
    return sendError(res, ctx.opts.engine, { status: 400, message: 'tokens must be an array of integers', param: 'tokens' });
  }
  sendJson(res, 200, { prompt: detokenize(b.tokens as number[]) });
}

function routeSglang(path: string, method: string, req: IncomingMessage, res: ServerResponse, ctx: SimContext): boolean {
  const o = ctx.opts;
  switch (path) {
    case '/generate':
      if (method !== 'POST') return false;
      void handleGeneration('generate', req, res, ctx);
      return true;
    case '/health_generate':
      if (ctx.clock.nowMs() < ctx.readyAtMs) sendText(res, 503, '');
      else sendText(res, 200, '');
      return true;
    case '/get_model_info':
      sendJson(res, 200, { model_path: o.model, tokenizer_path: o.model, is_generation: true, preferred_sampling_params: null, weight_version: 'default' });
      return true;
    case '/get_server_info': {
      const snap = ctx.core.snapshot();
      sendJson(res, 200, {
        model_path: o.model, served_model_name: o.model, context_length: o.maxModelLen, max_running_requests: o.maxNumSeqs,
        max_total_num_tokens: o.kvBlocks * o.blockSize, page_size: o.blockSize, disaggregation_mode: o.role === 'both' ? 'null' : o.role,
        disaggregation_bootstrap_port: ctx.sidePort(), enable_lora: o.enableLora, max_loras_per_batch: o.maxLoras,
        internal_states: [{ num_running_reqs: snap.running, num_queue_reqs: snap.waiting, token_usage: snap.usedBlocks / snap.totalBlocks }],
        version: '0.5.0-sim',
      });
      return true;
    }
    case '/flush_cache':
      if (method !== 'POST' && method !== 'GET') return false;
      ctx.core.flushCache();
      sendText(res, 200, 'Cache flushed.\nPlease check backend logs for more details. (When there are running or waiting requests, the operation will not be performed.)\n');
      return true;
    default:
      return false;
  }
}

function roomHandler(path: string, url: string, res: ServerResponse, ctx: SimContext): void {
  const room = decodeURIComponent(path.slice('/sim/bootstrap/rooms/'.length));
  const t = Number(new URLSearchParams(url.slice(url.indexOf('?') + 1)).get('timeout_ms'));
  const timeoutMs = Number.isFinite(t) && t > 0 ? Math.min(t, 600_000) : 30_000;
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  void ctx.rooms.wait(room, timeoutMs, abort.signal).then((ok) => {
    if (res.destroyed) return;
    sendJson(res, ok ? 200 : 408, { room, ready: ok });
  });
}
