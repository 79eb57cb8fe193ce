// One proxied request, from body bytes to the last response byte. This is the hot path: the
// per-request state lives in one object of stable shape that is itself the upstream handler
// (no response stream, promise or AbortController per request). Backpressure both ways: a full
// client socket pauses the upstream until 'drain'; a client that goes away aborts the upstream.
// The intake (body, routing, holding, fail/finish) is the base class, exchange-intake.ts.
import type { IncomingMessage } from 'node:http';
import type { PdPair } from '../scheduler/pd.js';
import type { EndpointView, RequestInfo } from '../scheduler/types.js';
import { bodyTooLarge, streamStalledEvents, upstreamFailed, upstreamStalled, upstreamTimeout, type GatewayError } from './errors.js';
import { RequestIntake } from './exchange-intake.js';
import { clientHeaders, upstreamHeaders, withRateHeaders } from './headers.js';
import type { IdleWatched } from './idle-watch.js';
import { outcomeOf, type AttemptOutcome } from './outliers.js';
import type { PdProtocol } from './pd.js';
import { PdFlow, type PdHost } from './pd-flow.js';
import type { UpstreamHandler } from './upstream.js';
import { budgetExhaustedEvents } from './stream-meter.js';
import { TailKeeper } from './usage.js';
import { attach, flushDue, resOnDrain, retryDue, timeoutFired, type ListenerTarget } from './exchange-listeners.js';

/** Status recorded when the client went away before the response ended (nginx's convention). */
const CLIENT_CLOSED = 499;

// Abort reasons are shared constants: creating an Error captures a stack, which costs.
const TIMEOUT_ERROR = new Error('upstream timeout');
const CLIENT_GONE_ERROR = new Error('client closed the connection');
const BUDGET_ERROR = new Error('output token budget exhausted');
const STALLED_ERROR = new Error('stream idle timeout');

/** Per-request state machine: read body -> route -> attempt(s) -> pipe -> finish. */
export class Exchange extends RequestIntake implements UpstreamHandler, PdHost, ListenerTarget, IdleWatched {
  private maxAttempts = 1;
  private current: EndpointView | null = null;
  private abortFn: ((err?: Error) => void) | null = null;
  private resumeFn: (() => void) | null = null;
  private discarding = false;
  private waitingDrain = false;
  private timedOut = false;
  private clientGone = false;
  private tail: TailKeeper | null = null;
  /** The meter cut the stream: the closing events go out and the upstream is aborted. */
  private cut = false;
  /** Body chunks received this tick, written to the client as one chunk at the end of the tick. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushQueued = false;
  /** The client socket is full: the upstream stays paused until 'drain'. */
  private blocked = false;
  /** Stream-idle timeout of this request's ModelServer (0: off); IdleWatch reads it. */
  idleLimitMs = 0;
  /** IdleWatch's coarse clock at the attempt's last byte. */
  lastByteMs = 0;
  /** IdleWatch's index of this attempt (-1: not watched). */
  idleSlot = -1;
  /** The attempt in flight was ended by the stream-idle timeout. */
  private stalled = false;
  /** The engine's status line and headers, written with the first body bytes (so a stall before them can still fail over). */
  private head: string[] | null = null;

  /** Begins reading the body; everything after happens on events. */
  start(): void {
    const cl = this.req.headers['content-length'];
    if (cl !== undefined && Number(cl) > this.ctx.maxBodyBytes) {
      this.res.shouldKeepAlive = false;
      this.fail(bodyTooLarge(this.ctx.maxBodyBytes));
      this.req.resume();
      return;
    }
    // Listeners are shared module functions: the emitter is `this` in a listener, and it
    // carries its Exchange, so no closure is created per request.
    attach(this, this.req, this.res);
  }

  /** The client connection closed: if the response was not finished, cancel the upstream. */
  onClose(): void {
    if (this.res.writableFinished) return;
    this.clientGone = true;
    if (this.held) {
      // Left while waiting for a replica: out of the queue, no upstream request is ever made.
      this.ctx.hold!.remove(this, this.model);
      this.held = false;
      this.heldBody = null;
    }
    this.abortFn?.(CLIENT_GONE_ERROR);
    if (!this.done && this.current === null) this.finish(CLIENT_CLOSED);
  }

  /** The ModelServer's timeout and retries, then the first attempt. */
  protected applyPolicy(): void {
    const policy = this.resolution!.server.trafficPolicy;
    // Without a retry policy the gateway still fails over, but only to other endpoints.
    const retry = policy?.retry;
    this.maxAttempts = 1 + (retry !== undefined ? retry.attempts : Math.min(this.ctx.defaultRetryAttempts, this.candidates.length - 1));
    this.idleLimitMs = policy?.streamIdleTimeoutMs ?? this.ctx.streamIdleTimeoutMs;
    if (policy?.timeoutMs !== undefined && policy.timeoutMs > 0) this.timer = setTimeout(timeoutFired, policy.timeoutMs, this);
    this.tryNext();
  }

  /** Sends the next attempt to the next candidate. */
  tryNext(): void {
    if (this.done) return;
    if (this.clientGone) return this.finish(CLIENT_CLOSED);
    const i = this.attempt % this.candidates.length;
    this.attempt++;
    if (this.pd !== null) return this.pd.begin(i);
    this.send(this.candidates[i]);
  }

  /** One upstream attempt with the current body and headers. */
  private send(ep: EndpointView): void {
    this.current = ep;
    this.stalled = false;
    this.ctx.load.acquire(ep.id);
    if (this.idleLimitMs > 0) this.ctx.idle.add(this);
    try {
      const n = this.native;
      if (n === null) this.ctx.upstream.post(ep.address, this.path, this.headers!, this.body!, this);
      else this.ctx.upstream.post(ep.address, n.path, this.headers!, this.body!, n.relay(this));
    } catch (err) {
      this.onError(err as Error);
    }
  }

  // `outcome` is what outlier detection counts (null: not the endpoint's doing, e.g. the client left).
  private releaseCurrent(ok: boolean, status: number, outcome: AttemptOutcome | null = outcomeOf(status)): void {
    const ep = this.current;
    if (ep === null) return;
    this.current = null;
    this.abortFn = null;
    const ctx = this.ctx;
    if (this.idleLimitMs > 0) ctx.idle.remove(this);
    ctx.load.release(ep.id);
    ctx.scheduler.observe(this.requestInfo!, ep, { ok, status });
    if (outcome !== null) this.countOutcome(ep.id, outcome);
  }

  /** Outlier detection counts one attempt's outcome on an endpoint (and logs an ejection). */
  private countOutcome(endpointId: string, outcome: AttemptOutcome): void {
    const ctx = this.ctx;
    const ejection = ctx.outliers.observe(this.resolution!.server, endpointId, outcome, ctx.nowMs());
    if (ejection === null) return;
    ctx.metrics.ejections.labels(ejection.modelServer, ejection.rule).inc();
    ctx.logger.warn('endpoint ejected', { requestId: this.requestId, model: this.model, ...ejection });
  }

  private retryOrFail(err: GatewayError): void {
    if (this.attempt < this.maxAttempts && !this.timedOut) {
      this.ctx.metrics.retries.inc();
      const interval = this.resolution!.server.trafficPolicy?.retry?.retryIntervalMs ?? 0;
      if (interval > 0) setTimeout(retryDue, interval, this);
      else this.tryNext();
      return;
    }
    this.fail(err);
  }

  // ---- UpstreamHandler: called by the upstream client (undici dispatch or node:http) ----

  /** The attempt is on a socket; keep its abort for client disconnects and timeouts. */
  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.clientGone || this.timedOut || this.done || this.stalled) abort(this.timedOut ? TIMEOUT_ERROR : this.stalled ? STALLED_ERROR : CLIENT_GONE_ERROR);
  }

  /** Status line: a retriable 5xx is drained and dropped; anything else goes to the client. */
  onHeaders(statusCode: number, rawHeaders: Array<Buffer | string>, resume: () => void): boolean {
    this.lastByteMs = this.ctx.idle.nowMs;
    if (statusCode < 200) return true; // 1xx informational: the final status follows
    if (this.done || this.clientGone) {
      this.abortFn?.(CLIENT_GONE_ERROR);
      return false;
    }
    this.status = statusCode;
    if (statusCode >= 500 && this.attempt < this.maxAttempts) {
      // Nothing reached the client yet: read this answer to its end (keeps the connection) and retry.
      this.discarding = true;
      return true;
    }
    if (statusCode >= 500) this.ctx.metrics.upstreamError('status');
    this.resumeFn = resume;
    // Only an event stream is metered; an engine's error body goes through as it is.
    if (statusCode !== 200) this.meter = null;
    this.head = clientHeaders(rawHeaders, this.requestId, this.current!.id, this.resolution!.routeLabel);
    if (this.keyHeaders !== null) withRateHeaders(this.head, this.keyHeaders);
    this.tail = new TailKeeper();
    return true;
  }

  /** A body chunk: forwarded with backpressure (false pauses the upstream until 'drain'). */
  onData(chunk: Buffer): boolean {
    this.lastByteMs = this.ctx.idle.nowMs;
    if (this.discarding) return true;
    if (this.ttfbMs < 0) this.ttfbMs = performance.now() - this.startMs;
    // The HTTP parser hands over every SSE event (every upstream chunk) of one socket read
    // separately. They are collected and written at the end of the tick as ONE chunk: one
    // write through node:http and one chunk frame instead of one per event (or, when the
    // body ends in the same tick, handed to res.end with the terminator).
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (!this.flushQueued) {
      this.flushQueued = true;
      process.nextTick(flushDue, this);
    }
    return !this.blocked;
  }

  /** End of the tick: the chunks collected this tick go out in one write. */
  flush(): void {
    this.flushQueued = false;
    if (this.pendingBytes === 0 || this.done || this.res.destroyed) {
      this.pending.length = 0;
      this.pendingBytes = 0;
      return;
    }
    const out = this.takePending();
    this.commit();
    if (this.cut) return this.endCut(out);
    if (this.res.write(out)) return;
    this.blocked = true;
    if (!this.waitingDrain) {
      this.waitingDrain = true;
      this.res.once('drain', resOnDrain);
    }
  }

  // The status line goes out with the first body bytes.
  private commit(): void {
    if (this.head === null) return;
    this.res.writeHead(this.status, this.head);
    this.head = null;
  }

  private takePending(): Buffer {
    const p = this.pending;
    let out = p.length === 1 ? p[0] : Buffer.concat(p, this.pendingBytes);
    p.length = 0;
    this.pendingBytes = 0;
    if (this.meter !== null) out = this.metered(out);
    // The tail keeps what was written (all chunks of a tick in one), so the final write usually
    // holds the usage event and `[DONE]` together and usage is read from it alone.
    this.tail!.push(out);
    return out;
  }

  // Counts the tokens of `out` against the output budget (charged as they pass, so concurrent
  // streams share it) and cuts at the event that uses the last one.
  private metered(out: Buffer): Buffer {
    const rl = this.resolution!.entry.rateLimit;
    const nowMs = this.ctx.nowMs();
    const budget = Math.max(0, Math.floor(this.ctx.limiter.outputAvailable(this.model, rl, nowMs)));
    const m = this.meter!.feed(out, budget);
    if (m.tokens > 0) this.ctx.limiter.charge(this.model, rl, m.tokens, nowMs);
    if (!m.exhausted) return m.out;
    this.cut = true;
    return Buffer.concat([m.out, budgetExhaustedEvents(this.model)]);
  }

  // The budget ran out mid-stream: the last events and the closing error go out, the engine stops.
  private endCut(out: Buffer): void {
    this.commit();
    this.res.end(out);
    const abort = this.abortFn;
    this.releaseCurrent(true, this.status);
    abort?.(BUDGET_ERROR);
    const counted = this.meter?.counted ?? 0;
    this.ctx.metrics.forModel(this.model).tokensOut.inc(counted);
    this.finish(this.status, 0, counted);
  }

  /** The upstream body ended. */
  onComplete(): void {
    const status = this.status;
    if (this.discarding) {
      this.discarding = false;
      this.ctx.metrics.upstreamError('status');
      this.releaseCurrent(false, status);
      if (this.done) return;
      return this.retryOrFail(upstreamFailed(`upstream answered ${status}`));
    }
    this.releaseCurrent(status < 500, status);
    if (this.done) return;
    let last = this.pendingBytes > 0 ? this.takePending() : null;
    if (this.cut) return this.endCut(last!);
    const meter = this.meter;
    const rest = meter?.rest();
    if (rest !== undefined && rest.length > 0) last = last === null ? rest : Buffer.concat([last, rest]);
    this.commit();
    if (last !== null) this.res.end(last);
    else this.res.end();
    // A metered stream charged its tokens as they passed: only the engine's exact count beyond them is left.
    const usage = meter !== null ? meter.usage : this.tail ? this.tail.usage() : null;
    if (usage) {
      const c = this.ctx.metrics.forModel(this.model);
      c.tokensIn.inc(usage.promptTokens);
      c.tokensOut.inc(usage.completionTokens);
      const owed = meter !== null ? usage.completionTokens - meter.counted : usage.completionTokens;
      const rl = this.resolution!.entry.rateLimit;
      const nowMs = this.ctx.nowMs();
      this.ctx.limiter.charge(this.model, rl, owed, nowMs);
      this.ctx.limiter.chargeInput(this.model, rl, usage.promptTokens - this.inputEstimate, nowMs);
    } else if (meter !== null) this.ctx.metrics.forModel(this.model).tokensOut.inc(meter.counted);
    this.finish(status, usage?.promptTokens ?? 0, usage?.completionTokens ?? meter?.counted ?? 0);
  }

  /** Connection failure, abort (client gone, timeout), or a body broken mid-way. */
  onError(err: Error): void {
    const failedId = this.current?.id ?? '';
    const stalled = this.stalled;
    this.stalled = false;
    this.releaseCurrent(false, this.status, this.clientGone || this.timedOut || this.cut ? null : 'local');
    this.discarding = false;
    if (this.done) return;
    if (!this.res.headersSent) {
      // Nothing of this attempt reached the client: forget it, so another attempt starts clean.
      this.head = null;
      this.pending.length = 0;
      this.pendingBytes = 0;
    }
    if (stalled && !this.clientGone && !this.timedOut) {
      this.ctx.metrics.upstreamError('stalled');
      if (this.res.headersSent) return this.endStalled();
      this.status = 0;
      return this.retryOrFail(upstreamStalled(failedId, this.idleLimitMs));
    }
    if (this.res.headersSent) {
      // The status line is out: the only honest signal left is cutting the connection.
      this.res.destroy();
      if (this.clientGone) return this.finish(CLIENT_CLOSED);
      this.ctx.metrics.upstreamError(this.timedOut ? 'timeout' : 'connect');
      return this.finish(this.timedOut ? 504 : 502);
    }
    if (this.clientGone) return this.finish(CLIENT_CLOSED);
    if (this.timedOut) {
      this.ctx.metrics.upstreamError('timeout');
      return this.fail(upstreamTimeout(this.resolution!.server.trafficPolicy!.timeoutMs!));
    }
    this.ctx.metrics.upstreamError('connect');
    this.status = 0;
    this.retryOrFail(upstreamFailed(`upstream ${failedId} failed: ${err.message}`, err));
  }

  /** IdleWatch: the engine sent nothing for the stream-idle timeout; end the attempt (onError goes on). */
  onIdle(): void {
    if (this.done || this.current === null) return;
    this.stalled = true;
    this.abortFn?.(STALLED_ERROR);
  }

  // A stream the engine stopped mid-way: when it stopped between two events, it ends with an
  // error event and [DONE] the client can read; otherwise only cutting the connection is honest.
  private endStalled(): void {
    const out = this.pendingBytes > 0 ? this.takePending() : null;
    const tail = this.tail?.bytes(2);
    const atBoundary = tail !== undefined && (tail.length === 0 || (tail[tail.length - 2] === 0x0a && tail[tail.length - 1] === 0x0a));
    if (!this.streaming || this.status !== 200 || !atBoundary) {
      this.res.destroy();
      return this.finish(504);
    }
    const events = streamStalledEvents(this.idleLimitMs);
    this.commit();
    this.res.end(out === null ? events : Buffer.concat([out, events]));
    const counted = this.meter?.counted ?? 0;
    if (counted > 0) this.ctx.metrics.forModel(this.model).tokensOut.inc(counted);
    this.finish(this.status, 0, counted);
  }

  /** The client socket drained: let the upstream flow again. */
  onDrain(): void {
    this.waitingDrain = false;
    this.blocked = false;
    this.resumeFn?.();
  }

  /** The ModelServer's timeout expired. */
  onTimeout(): void {
    this.timer = null;
    this.timedOut = true;
    if (this.done) return;
    if (this.current !== null || this.abortFn !== null) {
      // onError (or the prefill leg) answers 504 or cuts the stream; if not yet on a socket, onConnect aborts.
      this.abortFn?.(TIMEOUT_ERROR);
      return;
    }
    // Between attempts (retry interval): nothing in flight to abort.
    this.fail(upstreamTimeout(this.resolution!.server.trafficPolicy!.timeoutMs!));
  }

  // ---- PdHost: called by the PD flow (pd-flow.ts) ----

  /** The request as the scheduler saw it. */
  get info(): RequestInfo {
    return this.requestInfo!;
  }

  /** The client's request headers. */
  get clientHeaders(): IncomingMessage['headers'] {
    return this.req.headers;
  }

  /** True once answered or abandoned by the client. */
  over(): boolean {
    return this.done || this.clientGone;
  }

  /** The abort of the prefill leg in flight (null when none). */
  setAbort(abort: ((err?: Error) => void) | null): void {
    this.abortFn = abort;
    if (abort !== null && (this.timedOut || this.clientGone)) abort(this.timedOut ? TIMEOUT_ERROR : CLIENT_GONE_ERROR);
  }

  /** The decode leg: an ordinary attempt with its own body. */
  sendDecode(decode: EndpointView, body: Buffer): void {
    if (this.over()) return;
    this.body = body;
    this.headers = this.traced(upstreamHeaders(this.req.headers, this.requestId, body.length));
    this.send(decode);
  }

  /** A prefill leg ended on `endpointId` (status 0: no answer); a leg the client or the timeout ended is not counted. */
  prefillOutcome(endpointId: string, status: number): void {
    if (status > 0) return this.countOutcome(endpointId, outcomeOf(status));
    if (!this.clientGone && !this.timedOut && !this.done) this.countOutcome(endpointId, 'local');
  }

  /** A failed prefill: another pair if attempts are left, else the error. */
  prefillFailed(err: GatewayError, kind: 'connect' | 'status' | 'timeout'): void {
    if (this.clientGone) return this.finish(CLIENT_CLOSED);
    if (this.timedOut) {
      this.ctx.metrics.upstreamError('timeout');
      return this.fail(upstreamTimeout(this.resolution!.server.trafficPolicy!.timeoutMs!));
    }
    this.ctx.metrics.upstreamError(kind);
    this.retryOrFail(err);
  }

  /** The prefill engine's own refusal (4xx) goes to the client unchanged. */
  relay(status: number, rawHeaders: Array<Buffer | string>, body: Buffer, endpoint: string): void {
    if (this.over()) return;
    this.status = status;
    const head = clientHeaders(rawHeaders, this.requestId, endpoint, this.resolution!.routeLabel);
    if (this.keyHeaders !== null) withRateHeaders(head, this.keyHeaders);
    this.res.writeHead(status, head);
    this.res.end(body);
    this.finish(status);
  }

  /** The PD flow of a disaggregated request, with this Exchange as its host. */
  protected pdFlow(protocol: PdProtocol, pairs: PdPair[], json: Record<string, unknown>, upstreamModel: string): PdFlow {
    return new PdFlow(this, protocol, pairs, json, upstreamModel);
  }
}
