// One accepted generation request, from engine submit to its last byte: receives the engine's
// tokens and finish, and writes the JSON body or the SSE stream as vLLM/SGLang would.
//
// Hot path (every token of every request passes here), so: one object per request with its
// handlers as methods (no per-request closures), stream chunks from pre-serialised templates,
// and everything a request streams during one engine pass leaves in one res.write (the
// requests written in a pass are flushed together on the next tick).

import type { ServerResponse } from 'node:http';
import { tokenText, tokenTextJson } from '../engine/output.js';
import type { FinishInfo, FinishReason, KvSource } from '../engine/types.js';
import type { SimContext } from './context.js';
import { errorBody, sendError } from './io.js';
import type { ParsedRequest } from './parse.js';
import { DONE, generateBody, usage, usageChunk, type GenerateMeta, type ResponseHead } from './shapes.js';
import { ResponseTemplates, usageJson } from './templates.js';

/** How the PD role of the engine changes one request. */
export interface PdPlan {
  kvSource: KvSource;
  maxTokens: number;
  /** Return kv_transfer_params for a NIXL decode leg (this engine did the prefill). */
  returnKvParams: boolean;
  /** SGLang prefill: mark this room done when the KV is computed. */
  completeRoom: string | undefined;
  /** SGLang decode: wait for this room before starting. */
  waitRoom: string | undefined;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } as const;

// Requests with stream output waiting for the end of the current engine pass (process-wide:
// the flush only touches each request's own response).
const pendingFlush: GenerationRun[] = [];
let flushScheduled = false;

function flushPending(): void {
  flushScheduled = false;
  for (let i = 0; i < pendingFlush.length; i++) {
    const run = pendingFlush[i];
    try {
      run.flush();
    } catch {
      run.abandon(); // one broken response must not stop the others' output
    }
  }
  pendingFlush.length = 0;
}

/** The engine listener and response writer of one generation request. */
export class GenerationRun {
  /** Generated text so far (kept only where a body needs it: non-streaming and SGLang /generate). */
  private text = '';
  private done = false;
  private failing = false;
  /** SSE text not yet written, and whether the response ends after it. */
  private out = '';
  private ending = false;
  private queued = false;
  private headWritten = false;
  private readonly keepText: boolean;
  private readonly templates: ResponseTemplates | undefined;
  private readonly lastIndex: number;
  private readonly finalReason: FinishReason;

  constructor(
    private readonly p: ParsedRequest,
    private readonly pd: PdPlan,
    private readonly failAfterTokens: number,
    private readonly res: ServerResponse,
    private readonly ctx: SimContext,
    private readonly engineId: string,
    private readonly head: ResponseHead,
    stopAfter: number,
  ) {
    this.keepText = !p.stream || p.kind === 'generate';
    this.templates = p.kind === 'generate' || p.kind === 'native' ? undefined : new ResponseTemplates(p.kind, head);
    this.lastIndex = Math.min(pd.maxTokens, stopAfter) - 1;
    this.finalReason = pd.maxTokens <= stopAfter ? 'length' : 'stop';
  }

  /** Engine callback: generated token `index` has id `id`. */
  onToken(id: number, index: number): void {
    const p = this.p;
    if (index === 0 && this.pd.kvSource === 'remote') notifyKvPulled(p.kvTransfer);
    if (this.keepText) this.text += tokenText(id);
    if (p.stream) {
      const reason = index === this.lastIndex ? this.finalReason : null;
      const t = this.templates;
      if (p.native !== undefined) {
        this.out += p.native.event(tokenText(id), reason, p.promptTokens.length, index + 1);
      } else if (t === undefined) {
        this.out += `data: ${JSON.stringify(generateBody(this.head, this.text, reason, this.meta(undefined, index + 1)))}\n\n`;
      } else {
        if (index === 0 && p.kind === 'chat') this.out += t.roleChunk(this.chunkUsage(0));
        this.out += t.chunk(tokenTextJson(id), reason, this.chunkUsage(index + 1));
      }
      this.queue();
    }
    if (this.failAfterTokens > 0 && index + 1 >= this.failAfterTokens && index < this.lastIndex) {
      this.failing = true;
      this.ctx.core.cancel(this.engineId, this.ctx.clock.nowMs());
    }
  }

  /** Engine callback: the request ended. */
  onFinish(info: FinishInfo): void {
    const { p, pd, res, ctx } = this;
    const opts = ctx.opts;
    this.done = true;
    if (pd.completeRoom !== undefined) ctx.rooms.complete(pd.completeRoom);
    if (pd.returnKvParams && info.reason !== 'abort') {
      const engineId = this.engineId;
      // Like NIXL's abort timeout: blocks the decode side never pulls are freed eventually.
      setTimeout(() => {
        if (ctx.core.releaseHeld(engineId, ctx.clock.nowMs())) ctx.loop.kick();
      }, ctx.clock.realDelayMs(opts.kvHoldTimeoutMs)).unref();
    }
    if (info.reason === 'abort') {
      if (this.failing && !res.destroyed) {
        const e = { status: 500, message: 'Simulated mid-stream engine failure (x-sim-fail-after-tokens)' };
        if (!p.stream) return sendError(res, opts.engine, e);
        if (p.native !== undefined) this.end(p.native.streamError(e.message));
        else this.end(`data: ${JSON.stringify(errorBody(opts.engine, e))}\n\n${DONE}`);
      } else if (!res.writableEnded) {
        this.out = '';
        res.destroy();
      }
      return;
    }
    const cached = opts.enablePromptTokensDetails ? info.cachedTokens : undefined;
    if (p.native !== undefined) {
      if (p.stream) return this.end(p.native.streamEnd(info));
      return this.sendBody(p.native.body(this.text, info));
    }
    if (p.stream) {
      if (!p.includeUsage) return this.end(DONE);
      const t = this.templates;
      const last = t !== undefined ? t.usageChunk(usageJson(info.promptTokens, info.completionTokens, cached))
        : usageChunk(p.kind, this.head, usage(info.promptTokens, info.completionTokens, cached));
      return this.end(last + DONE);
    }
    let body: string;
    if (this.templates === undefined) {
      body = JSON.stringify(generateBody(this.head, this.text, info.reason, this.meta(info, info.completionTokens)));
    } else {
      const kvParams = pd.returnKvParams ? JSON.stringify({
        do_remote_prefill: true, do_remote_decode: false, remote_block_ids: info.blockIds, remote_engine_id: ctx.engineId,
        remote_request_id: this.engineId, remote_host: ctx.advertisedHost, remote_port: ctx.sidePort(), tp_size: 1,
      }) : 'null';
      body = this.templates.full(this.text, info.reason, usageJson(info.promptTokens, info.completionTokens, cached), kvParams);
    }
    this.sendBody(body);
  }

  private sendBody(body: string): void {
    this.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    this.res.end(body);
  }

  /** The client went away: a request still in the engine is cancelled at once. */
  onClose(): void {
    if (this.done) return;
    this.ctx.core.cancel(this.engineId, this.ctx.clock.nowMs());
    this.ctx.loop.kick();
  }

  /** Writes what this pass streamed (status line and headers first), ending the response if due. */
  flush(): void {
    this.queued = false;
    const res = this.res;
    if (res.destroyed || res.writableEnded) {
      this.out = '';
      return;
    }
    if (!this.headWritten) {
      this.headWritten = true;
      res.writeHead(200, this.p.native?.streamHeaders ?? SSE_HEADERS);
    }
    const data = this.out;
    this.out = '';
    if (this.ending) res.end(data);
    else if (data !== '') res.write(data);
  }

  /** Drops this response's connection after a failed write. */
  abandon(): void {
    this.out = '';
    this.res.destroy();
  }

  private end(last: string): void {
    this.out += last;
    this.ending = true;
    this.queue();
  }

  private queue(): void {
    if (this.queued) return;
    this.queued = true;
    pendingFlush.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      process.nextTick(flushPending);
    }
  }

  private chunkUsage(completion: number): string | null | undefined {
    const p = this.p;
    if (!p.includeUsage) return undefined;
    return p.continuousUsage ? usageJson(p.promptTokens.length, completion) : null;
  }

  private meta(info: FinishInfo | undefined, completion: number): GenerateMeta {
    return {
      promptTokens: this.p.promptTokens.length, completionTokens: completion, cachedTokens: info?.cachedTokens ?? 0,
      e2eLatencyS: info ? (info.finishMs - info.arrivalMs) / 1000 : 0,
    };
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
