// The prefill leg of one disaggregated request (pd.ts says which protocol does what). The decode
// leg is the exchange's ordinary upstream attempt: streamed to the client with backpressure,
// retried, timed out and cancelled like any other. This object runs what happens before it (or,
// for SGLang, beside it) on the pair the scheduler chose, and hands the decode body back.
import type { PdPair } from '../scheduler/pd.js';
import type { EndpointView, RequestInfo } from '../scheduler/types.js';
import { upstreamFailed, type GatewayError } from './errors.js';
import type { ProxyContext } from './proxy-context.js';
import { upstreamHeaders } from './headers.js';
import type { OutgoingHeaders } from './upstream.js';
import { bootstrapRoom, decodeBody, kvTransferParamsOf, prefillBody, sglangBody, type PdProtocol } from './pd.js';
import { PrefillLeg, type PrefillOwner } from './pd-legs.js';

/** What the flow needs from its exchange. */
export interface PdHost {
  readonly ctx: ProxyContext;
  readonly info: RequestInfo;
  readonly requestId: string;
  readonly path: string;
  readonly clientHeaders: Record<string, string | string[] | undefined>;
  /** True once the exchange answered or the client left: the flow stops. */
  over(): boolean;
  /** Keeps (or, with null, drops) the abort of the leg in flight, for disconnects and timeouts. */
  setAbort(abort: ((err?: Error) => void) | null): void;
  /** Sends the decode leg to `decode` with `body` (the exchange's ordinary attempt). */
  sendDecode(decode: EndpointView, body: Buffer): void;
  /** The prefill leg failed in a way worth another pair (connection error, 5xx, no KV params). */
  prefillFailed(err: GatewayError, kind: 'connect' | 'status' | 'timeout'): void;
  /** Outlier detection: a prefill leg on `endpointId` ended with `status` (0: no answer). */
  prefillOutcome(endpointId: string, status: number): void;
  /** The prefill engine refused the request (4xx): its answer goes to the client as is. */
  relay(status: number, rawHeaders: Array<Buffer | string>, body: Buffer, endpoint: string): void;
  /** Adds the trace context of the upstream span when the request is traced (exchange-intake.ts). */
  traced(headers: OutgoingHeaders): OutgoingHeaders;
}

/** Runs the prefill side of each attempt of one PD request. */
export class PdFlow implements PrefillOwner {
  private pair: PdPair | null = null;

  constructor(
    private readonly host: PdHost,
    private readonly protocol: PdProtocol,
    /** Pairs in the scheduler's order; attempt i uses pairs[i % length]. */
    readonly pairs: PdPair[],
    private readonly json: Record<string, unknown>,
    private readonly upstreamModel: string,
  ) {}

  /** Starts attempt `i`: prefill first (nixl, sequential) or both legs at once (sglang). */
  begin(i: number): void {
    const pair = this.pairs[i % this.pairs.length];
    this.pair = pair;
    if (this.protocol === 'sglang') return this.beginSglang(pair);
    this.post(pair.prefill, prefillBody(this.json, this.upstreamModel, this.protocol));
  }

  private post(prefill: EndpointView, body: Buffer): void {
    const h = this.host;
    h.ctx.load.acquire(prefill.id);
    try {
      h.ctx.upstream.post(prefill.address, h.path, h.traced(upstreamHeaders(h.clientHeaders, h.requestId, body.length)), body, new PrefillLeg(this));
    } catch (err) {
      this.prefillFailed(err as Error);
    }
  }

  private beginSglang(pair: PdPair): void {
    const ports = this.host.ctx.bootstrapPorts;
    const known = ports.get(pair.prefill.address);
    if (known !== undefined) return this.sendSglang(pair, known);
    void ports.lookup(pair.prefill.address).then((port) => {
      if (!this.host.over()) this.sendSglang(pair, port);
    });
  }

  private sendSglang(pair: PdPair, port: number): void {
    const body = sglangBody(this.json, this.upstreamModel, { host: new URL(pair.prefill.address).hostname, port, room: bootstrapRoom(this.host.info.random) });
    // The prefill answer is only watched for failure: the decode engine waits for the room's KV
    // and answers the client; a prefill that fails makes the decode fail (or time out) too.
    this.post(pair.prefill, body);
    this.host.sendDecode(pair.decode, body);
  }

  // ---- PrefillOwner ----

  /** The prefill leg is on a socket. */
  prefillConnected(abort: (err?: Error) => void): void {
    if (this.protocol === 'sglang') return; // the decode leg's abort is the one that counts
    if (this.host.over()) return abort();
    this.host.setAbort(abort);
  }

  /** The prefill answered. */
  prefillDone(status: number, body: Buffer, rawHeaders: Array<Buffer | string>): void {
    const pair = this.pair!;
    this.release(pair.prefill, status < 500, status);
    if (this.protocol === 'sglang') return;
    const h = this.host;
    h.setAbort(null);
    if (h.over()) return;
    if (status >= 500) return h.prefillFailed(upstreamFailed(`prefill ${pair.prefill.id} answered ${status}`), 'status');
    if (status >= 300) return h.relay(status, rawHeaders, body, pair.prefill.id);
    let params: unknown;
    if (this.protocol === 'nixl') {
      params = kvTransferParamsOf(body);
      if (params === null) return h.prefillFailed(upstreamFailed(`prefill ${pair.prefill.id} answered without kv_transfer_params (is its KV connector NIXL?)`), 'status');
    }
    h.sendDecode(pair.decode, decodeBody(this.json, this.upstreamModel, params));
  }

  /** The prefill leg broke (connection, abort, oversized answer). */
  prefillFailed(err: Error): void {
    const pair = this.pair!;
    this.release(pair.prefill, false, 0);
    if (this.protocol === 'sglang') return;
    const h = this.host;
    h.setAbort(null);
    if (h.over()) return;
    h.prefillFailed(upstreamFailed(`prefill ${pair.prefill.id} failed: ${err.message}`, err), 'connect');
  }

  private release(prefill: EndpointView, ok: boolean, status: number): void {
    this.host.ctx.load.release(prefill.id);
    this.host.ctx.scheduler.observe(this.host.info, prefill, { ok, status });
    this.host.prefillOutcome(prefill.id, status);
  }
}
