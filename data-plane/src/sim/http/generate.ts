// POST /v1/chat/completions and /v1/completions: validate, apply faults and PD rules, run the
// request through the engine core and write the JSON or SSE response as the engine would.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { planOutput } from '../engine/output.js';
import { decodeToken } from '../engine/tokenizer.js';
import type { EngineRequest, FinishInfo, KvSource, RequestFaults } from '../engine/types.js';
import { SimError } from '../errors.js';
import type { SimContext } from './context.js';
import { errorBody, readJson, sendError, type EngineErrorSpec } from './io.js';
import { parseGeneration, type ApiKind, type ParsedRequest } from './parse.js';
import { DONE, fullResponse, generateBody, streamChunk, usage, usageChunk, type GenerateMeta, type ResponseHead, type Usage } from './shapes.js';

/** Handles one generation request end to end. */
export async function handleGeneration(kind: ApiKind, req: IncomingMessage, res: ServerResponse, ctx: SimContext): Promise<void> {
  const body = await readJson(req);
  const engine = ctx.opts.engine;
  if (!body.ok) return sendError(res, engine, { status: 400, message: body.message });
  if (ctx.clock.nowMs() < ctx.readyAtMs) return sendError(res, engine, { status: 503, message: 'The engine is still starting up' });
  const verdict = ctx.faults.onRequest(req.headers);
  if (verdict.action === 'crash') return ctx.crash();
  if (verdict.action === 'fail') return sendError(res, engine, verdict.error);
  const parsed = parseGeneration(kind, body.value, ctx.opts, ctx.adapters);
  if ('error' in parsed) return sendError(res, engine, parsed.error);
  const p = parsed.request;

  const pd = pdPlan(p, ctx);
  if ('error' in pd) return sendError(res, engine, pd.error);

  // Arrival is the engine submit, except for a PD decode, whose modelled wait for its prefill
  // partner counts (HTTP parsing time must not: at a high time-scale it would inflate TTFT).
  let arrivalMs: number | undefined;
  if (pd.waitRoom !== undefined) {
    arrivalMs = ctx.clock.nowMs();
    // Only this path needs an AbortSignal (cheap callbacks elsewhere: this is the hot path).
    const abort = new AbortController();
    const onClose = (): void => abort.abort();
    res.once('close', onClose);
    const ok = await waitForPrefill(p, ctx, abort.signal);
    res.off('close', onClose);
    if (abort.signal.aborted || res.destroyed) return;
    if (!ok) {
      return sendError(res, engine, { status: 500, message: `KV transfer for bootstrap room ${pd.waitRoom} timed out waiting for the prefill engine` });
    }
  }
  if (res.destroyed || req.socket.destroyed) return;
  run(p, pd, verdict, req, res, ctx, arrivalMs);
}

interface PdPlan {
  kvSource: KvSource;
  maxTokens: number;
  /** Return kv_transfer_params for a NIXL decode leg (this engine did the prefill). */
  returnKvParams: boolean;
  /** SGLang prefill: mark this room done when the KV is computed. */
  completeRoom: string | undefined;
  /** SGLang decode: wait for this room before starting. */
  waitRoom: string | undefined;
}

function pdPlan(p: ParsedRequest, ctx: SimContext): PdPlan | { error: EngineErrorSpec } {
  const role = ctx.opts.role;
  const plan: PdPlan = { kvSource: 'local', maxTokens: p.maxTokens, returnKvParams: false, completeRoom: undefined, waitRoom: undefined };
  const kvt = p.kvTransfer;
  if (kvt?.do_remote_decode === true) {
    if (role === 'decode') return { error: { status: 400, message: 'kv_transfer_params.do_remote_decode sent to a decode-role engine', param: 'kv_transfer_params' } };
    plan.returnKvParams = true;
  } else if (kvt?.do_remote_prefill === true) {
    if (role === 'prefill') return { error: { status: 400, message: 'kv_transfer_params.do_remote_prefill sent to a prefill-role engine', param: 'kv_transfer_params' } };
    // NIXL sends the prefill's block ids; Mooncake sends the prefill's bootstrap address instead.
    if (!Array.isArray(kvt.remote_block_ids) && typeof kvt.remote_bootstrap_addr !== 'string') {
      return { error: { status: 400, message: 'kv_transfer_params with do_remote_prefill needs remote_block_ids (NIXL, from the prefill response) or remote_bootstrap_addr (Mooncake)', param: 'kv_transfer_params' } };
    }
    plan.kvSource = 'remote';
  }
  if (p.bootstrap && ctx.opts.engine === 'sglang') {
    if (role === 'prefill') {
      plan.completeRoom = p.bootstrap.room;
      plan.maxTokens = 1; // a disaggregated prefill server only computes KV and the first token
    } else if (role === 'decode') {
      plan.waitRoom = p.bootstrap.room;
      plan.kvSource = 'remote';
    }
  }
  return plan;
}

async function waitForPrefill(p: ParsedRequest, ctx: SimContext, signal: AbortSignal): Promise<boolean> {
  const b = p.bootstrap;
  if (!b) return true;
  const timeoutMs = Math.max(1, ctx.clock.realDelayMs(ctx.opts.bootstrapTimeoutMs));
  try {
    const url = `http://${b.host}:${b.port}/sim/bootstrap/rooms/${encodeURIComponent(b.room)}?timeout_ms=${Math.ceil(timeoutMs)}`;
    const r = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs + 1000)]) });
    await r.arrayBuffer();
    return r.status === 200;
  } catch {
    return false;
  }
}

// NIXL decode side: the KV has arrived, so the prefill engine may free its blocks.
function notifyKvPulled(kvt: Record<string, unknown> | undefined): void {
  if (!kvt || typeof kvt.remote_host !== 'string' || typeof kvt.remote_port !== 'number' || typeof kvt.remote_request_id !== 'string') return;
  const url = `http://${kvt.remote_host}:${kvt.remote_port}/sim/nixl/release`;
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ remote_request_id: kvt.remote_request_id }) })
    .then((r) => r.arrayBuffer())
    .catch(() => undefined);
}

function run(p: ParsedRequest, pd: PdPlan, verdict: { faults: RequestFaults; failAfterTokens: number }, req: IncomingMessage,
  res: ServerResponse, ctx: SimContext, arrivalMs: number | undefined): void {
  const { opts, core, loop, clock } = ctx;
  const engineId = ctx.nextRequestId();
  const xrid = req.headers['x-request-id'];
  const base = typeof xrid === 'string' && xrid !== '' ? xrid : randomUUID().replace(/-/g, '');
  const head: ResponseHead = {
    id: opts.engine === 'sglang' ? base : `${p.kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${base}`,
    created: Math.floor(Date.now() / 1000),
    model: p.model,
  };
  const plan = planOutput(opts.seed, p.promptTokens, opts.meanOutputTokens);
  const stopAfter = p.ignoreEos ? Number.POSITIVE_INFINITY : plan.stopAfterTokens;
  const engineReq: EngineRequest = {
    id: engineId,
    promptTokens: p.promptTokens,
    maxTokens: pd.maxTokens,
    stopAfterTokens: stopAfter,
    cacheSalt: p.lora ?? opts.model,
    lora: p.lora,
    kvSource: pd.kvSource,
    holdKv: pd.returnKvParams,
    faults: verdict.faults,
    tokenAt: plan.tokenAt,
  };
  const lastIndex = Math.min(pd.maxTokens, stopAfter) - 1;
  const finalReason = pd.maxTokens <= stopAfter ? 'length' : 'stop';
  let text = '';
  let done = false;
  let failing = false;
  const meta = (info: FinishInfo | undefined, completion: number): GenerateMeta => ({
    promptTokens: p.promptTokens.length, completionTokens: completion, cachedTokens: info?.cachedTokens ?? 0,
    e2eLatencyS: info ? (info.finishMs - info.arrivalMs) / 1000 : 0,
  });

  const onFinish = (info: FinishInfo): void => {
    done = true;
    if (pd.completeRoom !== undefined) ctx.rooms.complete(pd.completeRoom);
    if (pd.returnKvParams && info.reason !== 'abort') {
      // Like NIXL's abort timeout: blocks the decode side never pulls are freed eventually.
      setTimeout(() => {
        if (core.releaseHeld(engineId, clock.nowMs())) loop.kick();
      }, clock.realDelayMs(opts.kvHoldTimeoutMs)).unref();
    }
    if (info.reason === 'abort') {
      if (failing && !res.destroyed) {
        const e = { status: 500, message: 'Simulated mid-stream engine failure (x-sim-fail-after-tokens)' };
        if (!p.stream) return sendError(res, opts.engine, e);
        res.end(`data: ${JSON.stringify(errorBody(opts.engine, e))}\n\n${DONE}`);
      } else if (!res.writableEnded) {
        res.destroy();
      }
      return;
    }
    const u = usage(info.promptTokens, info.completionTokens, opts.enablePromptTokensDetails ? info.cachedTokens : undefined);
    if (p.stream) {
      if (p.includeUsage) res.write(usageChunk(p.kind, head, u));
      res.end(DONE);
      return;
    }
    const kvParams = pd.returnKvParams ? {
      do_remote_prefill: true, do_remote_decode: false, remote_block_ids: info.blockIds, remote_engine_id: ctx.engineId,
      remote_request_id: engineId, remote_host: ctx.advertisedHost, remote_port: ctx.sidePort(), tp_size: 1,
    } : null;
    const body = p.kind === 'generate'
      ? generateBody(head, text, info.reason, meta(info, info.completionTokens))
      : fullResponse(p.kind, head, text, info.reason, u, kvParams);
    const out = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  };

  // Tokens emitted in one engine pass leave in one socket write.
  let corked = false;
  const uncork = (): void => {
    corked = false;
    res.uncork();
  };
  const chunkUsage = (completion: number): Usage | null | undefined =>
    (!p.includeUsage ? undefined : p.continuousUsage ? usage(p.promptTokens.length, completion) : null);
  const onToken = (id: number, index: number): void => {
    if (index === 0 && pd.kvSource === 'remote') notifyKvPulled(p.kvTransfer);
    const piece = decodeToken(id);
    text += piece;
    if (p.stream) {
      if (!corked) {
        corked = true;
        res.cork();
        process.nextTick(uncork);
      }
      if (index === 0) {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
        if (p.kind === 'chat') res.write(streamChunk(p.kind, head, '', null, chunkUsage(0), true));
      }
      const reason = index === lastIndex ? finalReason : null;
      if (p.kind === 'generate') res.write(`data: ${JSON.stringify(generateBody(head, text, reason, meta(undefined, index + 1)))}\n\n`);
      else res.write(streamChunk(p.kind, head, piece, reason, chunkUsage(index + 1)));
    }
    if (verdict.failAfterTokens > 0 && index + 1 >= verdict.failAfterTokens && index < lastIndex) {
      failing = true;
      core.cancel(engineId, clock.nowMs());
    }
  };

  try {
    core.submit(engineReq, { onToken, onFinish }, clock.nowMs(), arrivalMs);
  } catch (err) {
    if (err instanceof SimError) return sendError(res, opts.engine, { status: 400, message: err.message });
    throw err;
  }
  ctx.onAccepted(1, pd.maxTokens);
  loop.kick();
  // A client that goes away before the end cancels the request at once.
  res.on('close', () => {
    if (done) return;
    core.cancel(engineId, clock.nowMs());
    loop.kick();
  });
}
