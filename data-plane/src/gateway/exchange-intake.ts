// The intake half of one proxied request: body bytes -> route -> rate limit -> hold or
// endpoint choice, then the answer's bookkeeping (fail, finish). The attempts and the response
// piping are the Exchange's (exchange.ts), which extends this class: one object per request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { isPdSet, schedulePd, type PdPair } from '../scheduler/pd.js';
import type { EndpointView, RequestInfo } from '../scheduler/types.js';
import { askForUsage, estimateTokens, parseBody, promptText, upstreamBody, type ParsedBody } from './body.js';
import { badPriority, bodyTooLarge, engineUnsupported, GatewayError, modelNotAllowed, noEndpoint, rateLimited, sendGatewayError } from './errors.js';
import { bandOf } from './auth/authenticate.js';
import type { ApiKey } from './auth/key-store.js';
import type { RateHeaders } from './auth/key-limits.js';
import { upstreamHeaders } from './headers.js';
import { DEFAULT_PRIORITY, priorityOf, serverHasAdapter, type Holdable } from './hold-queue.js';
import { pdProtocol, type PdProtocol } from './pd.js';
import type { PdFlow } from './pd-flow.js';
import type { ProxyContext } from './proxy-context.js';
import { resolve, type Resolution } from './routing.js';
import type { OutgoingHeaders } from './upstream.js';
import { StreamMeter } from './stream-meter.js';
import { adapterFor, translate, type NativeTranslation } from './engines/index.js';
import type { RequestTrace } from '../tracing/tracer.js';

/** Per-request state up to the first attempt, and the answer's bookkeeping; see exchange.ts. */
export abstract class RequestIntake implements Holdable {
  readonly ctx: ProxyContext;
  protected readonly req: IncomingMessage;
  protected readonly res: ServerResponse;
  readonly path: string;
  readonly requestId: string;
  protected readonly startMs: number;
  private chunks: Buffer[] = [];
  private size = 0;
  protected model = '';
  protected resolution: Resolution | null = null;
  protected requestInfo: RequestInfo | null = null;
  /** Disaggregated request: runs the prefill side of each attempt (null: aggregated). */
  protected pd: PdFlow | null = null;
  protected candidates: EndpointView[] = [];
  protected body: Buffer | null = null;
  protected headers: OutgoingHeaders | null = null;
  protected attempt = 0;
  protected timer: NodeJS.Timeout | null = null;
  protected done = false;
  protected status = 0;
  protected ttfbMs = -1;
  /** A stream on a route with an output-token limit: counted (and cut) as it passes. */
  protected meter: StreamMeter | null = null;
  protected held = false;
  protected heldBody: { raw: Buffer; parsed: ParsedBody; text: string } | null = null;
  /** Set by the HoldQueue when first held (0: never held). */
  holdDeadlineMs = 0;
  /** Priority band while held (x-mi-priority); HoldQueue reads it. */
  holdPriority = DEFAULT_PRIORITY;
  /** The client asked for an event stream. */
  protected streaming = false;
  /** Input tokens admitted: the local tokenizer's count, else the chars/4 estimate. */
  protected inputEstimate = 0;
  /** A ModelServer whose engine has its own API (Triton, TorchServe): the translated request (null: OpenAI as it is). */
  protected native: NativeTranslation | null = null;
  /** The request's API key (set by the handler before start; null: the gateway runs without keys). */
  apiKey: ApiKey | null = null;
  /** OpenAI's x-ratelimit-* headers of the key's limits after this request was admitted (null: no key limits). */
  protected keyHeaders: RateHeaders | null = null;
  /** This request's trace while OTLP export is on (null: off, or the caller asked not to sample). */
  protected trace: RequestTrace | null = null;

  constructor(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, path: string) {
    this.ctx = ctx;
    this.req = req;
    this.res = res;
    this.path = path;
    const given = req.headers['x-request-id'];
    this.requestId = typeof given === 'string' && given.length > 0 && given.length <= 200 ? given : randomUUID();
    this.startMs = performance.now();
    if (ctx.tracer !== undefined) this.trace = ctx.tracer.begin(req.headers.traceparent, this.startMs);
  }

  /** A request body chunk: buffered up to the cap. */
  onBodyChunk(chunk: Buffer): void {
    if (this.done) return;
    this.size += chunk.length;
    if (this.size > this.ctx.maxBodyBytes) {
      this.chunks = [];
      this.res.shouldKeepAlive = false;
      this.fail(bodyTooLarge(this.ctx.maxBodyBytes));
      return;
    }
    this.chunks.push(chunk);
  }

  /** The request body is complete: route it. */
  onBodyEnd(): void {
    if (this.done) return;
    const raw = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.route(raw);
  }

  private route(raw: Buffer): void {
    const ctx = this.ctx;
    const parsed = parseBody(raw);
    if (parsed instanceof GatewayError) return this.fail(parsed);
    const header = this.req.headers['x-mi-priority'];
    let asked: number | undefined;
    if (header !== undefined) {
      const band = priorityOf(header);
      if (band === null) return this.fail(badPriority(String(header)));
      asked = band;
    }
    const key = this.apiKey;
    // Checked before routing: a key cannot learn which models outside its scope exist (403 either way).
    if (key !== null && !key.allows(parsed.model)) {
      this.ctx.auth?.refused('model_not_allowed');
      return this.fail(modelNotAllowed(parsed.model, key.id));
    }
    this.holdPriority = bandOf(key, asked, DEFAULT_PRIORITY);
    this.model = parsed.model;
    const nowMs = ctx.nowMs();
    const random = ctx.random();
    const r = resolve(ctx.holder.table, { model: parsed.model, path: this.path, headers: this.req.headers, random });
    if (r instanceof GatewayError) return this.fail(r);
    this.resolution = r;
    ctx.stats.begin(this.model, r.entry.namespace);
    ctx.metrics.forModel(this.model).inFlight.inc();
    const text = promptText(parsed.json);
    // Admitted on an estimate; the engine's exact prompt_tokens settles the difference (exchange.ts).
    this.inputEstimate = estimateTokens(text);
    // An input limit on a model with a local tokenizer: admitted on its count instead (a worker
    // thread; undefined when not ready or too slow, and the estimate stands).
    const tokens = ctx.tokens;
    if (r.entry.rateLimit?.inputTokensPerUnit !== undefined && tokens?.has(this.model)) {
      void tokens.count(this.model, text).then((n) => {
        if (this.done) return;
        if (n !== undefined) this.inputEstimate = n;
        this.admit(raw, parsed, text, random);
      });
      return;
    }
    this.admit(raw, parsed, text, random, nowMs);
  }

  private admit(raw: Buffer, parsed: ParsedBody, text: string, random: number, nowMs = this.ctx.nowMs()): void {
    const key = this.apiKey;
    const auth = this.ctx.auth;
    // The key's limits are checked first and taken last: a request refused by either takes from neither.
    if (key !== null && auth !== undefined) {
      const refused = auth.checkKey(key, this.inputEstimate, nowMs);
      if (refused !== null) return this.fail(refused);
    }
    const admission = this.ctx.limiter.admit(this.model, this.resolution!.entry.rateLimit, this.inputEstimate, nowMs);
    if (!admission.ok) return this.fail(rateLimited(this.model, admission.retryAfterS));
    if (key !== null && auth !== undefined) this.keyHeaders = auth.takeKey(key, this.inputEstimate, nowMs);
    this.place(raw, parsed, text, nowMs, random);
  }

  /** Endpoint choice and first attempt; with no ready endpoint the request is held (hold-queue.ts). */
  private place(raw: Buffer, parsed: ParsedBody, text: string, nowMs: number, random: number): void {
    const ctx = this.ctx;
    const r = this.resolution!;
    // Endpoints this gateway ejected as outliers get nothing (unless no other is left).
    const views = ctx.outliers.filter(ctx.load.views(r.server, nowMs), nowMs);
    // A LoRA adapter goes only to endpoints that report it loaded; until one does, it waits.
    if (views.length === 0 || (r.adapter !== undefined && !serverHasAdapter(r.server, r.adapter))) {
      if (ctx.hold === undefined) return this.fail(noEndpoint(this.model, r.server.name));
      const refused = ctx.hold.offer(this, this.model, r.entry.namespace, r.adapter !== undefined);
      if (refused !== null) return this.fail(refused);
      // Kept for the release: the body is routed again against the table that brought an endpoint.
      this.heldBody = { raw, parsed, text };
      this.held = true;
      return;
    }
    // Token limits are enforced on the stream itself, whether or not the client asked for usage
    // (an input limit needs the engine's usage too, to settle the estimate).
    const rl = r.entry.rateLimit;
    if (parsed.stream && (rl?.outputTokensPerUnit || rl?.inputTokensPerUnit) && this.meter === null) this.meter = new StreamMeter(askForUsage(parsed));
    const info: RequestInfo = {
      requestId: this.requestId,
      model: parsed.model,
      adapter: r.adapter,
      headers: this.req.headers,
      promptText: text,
      nowMs,
      random,
    };
    this.requestInfo = info;
    this.streaming = parsed.stream;
    if (isPdSet(views)) return this.placePd(info, views, parsed);
    const trace = this.trace;
    if (trace !== null) trace.scheduleStartMs = performance.now();
    const decisions = ctx.decisions;
    let candidates: EndpointView[];
    if (decisions?.wants(info)) {
      const sched = ctx.scheduler.schedule(info, views);
      if (trace !== null) trace.scheduleEndMs = performance.now();
      decisions.decided(info, sched, r.entry.namespace, this.res, trace);
      candidates = sched.candidates;
    } else {
      candidates = ctx.scheduler.place(info, views).candidates;
      if (trace !== null) trace.scheduleEndMs = performance.now();
    }
    if (candidates.length === 0) return this.fail(noEndpoint(this.model, r.server.name));
    this.candidates = candidates;
    const engine = r.server.engine;
    if (engine === 'vLLM' || engine === 'SGLang') this.body = upstreamBody(raw, parsed, r.upstreamModel, this.meter?.strip === true);
    else {
      const t = this.translated(engine, parsed, r.upstreamModel);
      if (t === null) return;
      this.body = t.body;
    }
    this.headers = upstreamHeaders(this.req.headers, this.requestId, this.body.length);
    if (trace !== null) this.traced(this.headers);
    this.applyPolicy();
  }

  // The native request of a Triton or TorchServe server (null: refused, already answered).
  private translated(engine: Parameters<typeof adapterFor>[0], parsed: ParsedBody, upstreamModel: string): NativeTranslation | null {
    const adapter = adapterFor(engine);
    if (adapter === undefined) {
      this.fail(engineUnsupported(this.resolution!.server.name, engine));
      return null;
    }
    const t = translate(adapter, this.path, parsed.json, upstreamModel, this.requestId);
    if (t instanceof GatewayError) {
      this.fail(t);
      return null;
    }
    this.native = t;
    return t;
  }

  /** Disaggregated endpoints: prefill/decode pairs are the candidates (pd-flow.ts runs the prefill side). */
  private placePd(info: RequestInfo, views: EndpointView[], parsed: ParsedBody): void {
    const ctx = this.ctx;
    const r = this.resolution!;
    const protocol = pdProtocol(r.server);
    if (typeof protocol !== 'string') return this.fail(protocol);
    const trace = this.trace;
    if (trace !== null) trace.scheduleStartMs = performance.now();
    const decisions = ctx.decisions;
    let pairs: PdPair[];
    if (decisions?.wants(info)) {
      const sched = schedulePd((q, e) => ctx.scheduler.schedule(q, e), info, views);
      if (trace !== null) trace.scheduleEndMs = performance.now();
      decisions.decided(info, sched.decode, r.entry.namespace, this.res, trace);
      pairs = sched.pairs;
    } else {
      pairs = schedulePd((q, e) => ctx.scheduler.place(q, e), info, views).pairs;
      if (trace !== null) trace.scheduleEndMs = performance.now();
    }
    if (pairs.length === 0) return this.fail(noEndpoint(this.model, r.server.name));
    this.candidates = pairs.map((p) => p.decode);
    this.pd = this.pdFlow(protocol, pairs, parsed.json, r.upstreamModel);
    this.applyPolicy();
  }

  /**
   * Traced request: the engine gets a traceparent whose parent is the upstream span (the
   * upstream span starts here), and a new trace forwards no tracestate of the invalid one.
   */
  traced(headers: OutgoingHeaders): OutgoingHeaders {
    const t = this.trace;
    if (t === null) return headers;
    if (t.upstreamStartMs < 0) t.upstreamStartMs = performance.now();
    headers.traceparent = t.upstreamTraceparent();
    if (t.fresh) delete headers.tracestate;
    return headers;
  }

  /** Held request: an endpoint became ready; resolve against the new table and go on. */
  holdReleased(): void {
    const b = this.heldBody;
    this.held = false;
    this.heldBody = null;
    if (this.done || b === null) return;
    const random = this.ctx.random();
    const r = resolve(this.ctx.holder.table, { model: b.parsed.model, path: this.path, headers: this.req.headers, random });
    if (r instanceof GatewayError) return this.fail(r);
    this.resolution = r;
    this.place(b.raw, b.parsed, b.text, this.ctx.nowMs(), random);
  }

  /** Held request: the wait expired (or the gateway closes). */
  holdExpired(err: GatewayError): void {
    this.held = false;
    this.heldBody = null;
    this.fail(err);
  }

  /** Answers with an OpenAI-shaped error (or cuts the stream if the status line is out). */
  protected fail(err: GatewayError): void {
    if (this.done) return;
    if (this.res.headersSent) this.res.destroy();
    else sendGatewayError(this.res, err, this.requestId, this.resolution?.routeLabel);
    this.finish(err.status);
    if (err.status >= 500 && this.ctx.logger.isWarnEnabled()) {
      this.ctx.logger.warn('request failed', { requestId: this.requestId, model: this.model, code: err.code, error: err.message });
    }
  }

  protected finish(status: number, inputTokens = 0, outputTokens = 0): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ctx = this.ctx;
    const endMs = performance.now();
    const durationMs = endMs - this.startMs;
    // Only routable model names become label values; anything else is counted under ''.
    const label = this.resolution ? this.model : '';
    const c = ctx.metrics.forModel(label);
    ctx.metrics.countRequest(c, label, status);
    c.duration.observe(durationMs / 1000);
    if (this.ttfbMs >= 0) c.ttfb.observe(this.ttfbMs / 1000);
    if (this.resolution) {
      c.inFlight.dec();
      ctx.stats.end(this.model, this.resolution.entry.namespace, inputTokens, outputTokens);
    }
    // The key's token budget pays what the engine counted beyond the admitted estimate.
    if (this.apiKey !== null && ctx.auth !== undefined && (outputTokens > 0 || inputTokens > this.inputEstimate)) {
      ctx.auth.limits.charge(this.apiKey, outputTokens + Math.max(0, inputTokens - this.inputEstimate), ctx.nowMs());
    }
    const trace = this.trace;
    if (trace !== null) {
      const endpoint = this.status > 0 ? this.candidates[(this.attempt - 1) % this.candidates.length]?.id : undefined;
      trace.finish(endMs, this.ttfbMs >= 0 ? this.startMs + this.ttfbMs : -1, status, this.model, this.resolution?.routeLabel, endpoint, this.requestId, this.attempt, inputTokens, outputTokens);
      ctx.tracer!.end(trace);
    }
    if (ctx.logRequests) {
      ctx.logger.info('request', {
        requestId: this.requestId,
        model: this.model,
        // The key's id only: never the key or its hash.
        key: this.apiKey?.id,
        route: this.resolution?.routeLabel,
        endpoint: this.status > 0 ? this.candidates[(this.attempt - 1) % this.candidates.length]?.id : undefined,
        attempts: this.attempt,
        status,
        durationMs: Math.round(durationMs * 1000) / 1000,
      });
    }
  }

  /** The ModelServer's timeout and retries, then the first attempt. */
  protected abstract applyPolicy(): void;

  /** The PD flow of a disaggregated request, with this request as its host. */
  protected abstract pdFlow(protocol: PdProtocol, pairs: PdPair[], json: Record<string, unknown>, upstreamModel: string): PdFlow;
}
