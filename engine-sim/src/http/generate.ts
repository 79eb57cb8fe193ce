// POST /v1/chat/completions and /v1/completions: validate, apply faults and PD rules, run the
// request through the engine core and write the JSON or SSE response as the engine would.

import { randomFillSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { planOutput } from '../engine/output.js';
import type { EngineRequest, RequestFaults } from '../engine/types.js';
import { SimError } from '../errors.js';
import type { SimContext } from './context.js';
import { readJson, sendError, type EngineErrorSpec } from './io.js';
import type { NativeMapper } from './native.js';
import { parseGeneration, type ApiKind, type ParsedRequest } from './parse.js';
import { GenerationRun, type PdPlan } from './run.js';
import type { ResponseHead } from './shapes.js';

/** Handles one generation request end to end; never rejects (a failure is answered with a 500, or the connection dropped). */
export async function handleGeneration(kind: ApiKind, req: IncomingMessage, res: ServerResponse, ctx: SimContext, native?: NativeMapper): Promise<void> {
  try {
    await serveGeneration(kind, req, res, ctx, native);
  } catch (err) {
    // (SGLang's native /generate always answered a plain 'internal error' here.)
    const message = kind === 'generate' ? 'internal error' : (err as Error).message ?? 'internal error';
    if (!res.headersSent) sendError(res, ctx.opts.engine, { status: 500, message });
    else if (kind !== 'generate') res.destroy();
  }
}

async function serveGeneration(kind: ApiKind, req: IncomingMessage, res: ServerResponse, ctx: SimContext, native: NativeMapper | undefined): Promise<void> {
  const body = await readJson(req);
  const engine = ctx.opts.engine;
  ctx.traces.record(req.headers);
  if (!body.ok) return sendError(res, engine, { status: 400, message: body.message });
  if (ctx.clock.nowMs() < ctx.readyAtMs) return sendError(res, engine, { status: 503, message: 'The engine is still starting up' });
  const verdict = ctx.faults.onRequest(req.headers);
  if (verdict.action === 'crash') return ctx.crash();
  if (verdict.action === 'fail') return sendError(res, engine, verdict.error);
  const mapped = native?.(body.value);
  if (mapped && 'error' in mapped) return sendError(res, engine, mapped.error);
  const parsed = parseGeneration(kind, mapped ? mapped.body : body.value, ctx.opts, ctx.adapters);
  if ('error' in parsed) return sendError(res, engine, parsed.error);
  const p = parsed.request;
  if (mapped) p.native = mapped.shape;

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

// Random bytes for response ids, drawn 256 ids at a time (one hex conversion per id).
const ID_BYTES = 16;
const idPool = Buffer.alloc(ID_BYTES * 256);
let idOffset = idPool.length;

/** A random 32-hex-digit id, the shape of vLLM's uuid4().hex. */
function randomHexId(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  idOffset += ID_BYTES;
  return idPool.toString('hex', idOffset - ID_BYTES, idOffset);
}

function run(p: ParsedRequest, pd: PdPlan, verdict: { faults: RequestFaults; failAfterTokens: number }, req: IncomingMessage,
  res: ServerResponse, ctx: SimContext, arrivalMs: number | undefined): void {
  const { opts, core, loop, clock } = ctx;
  const engineId = ctx.nextRequestId();
  const xrid = req.headers['x-request-id'];
  const base = typeof xrid === 'string' && xrid !== '' ? xrid : randomHexId();
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
  const r = new GenerationRun(p, pd, verdict.failAfterTokens, res, ctx, engineId, head, stopAfter);
  try {
    core.submit(engineReq, r, clock.nowMs(), arrivalMs);
  } catch (err) {
    if (err instanceof SimError) return sendError(res, opts.engine, { status: 400, message: err.message });
    throw err;
  }
  ctx.onAccepted(1, pd.maxTokens);
  loop.kick();
  // A client that goes away before the end cancels the request at once.
  res.on('close', () => r.onClose());
}
