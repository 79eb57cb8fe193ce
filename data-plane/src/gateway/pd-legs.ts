// I/O of disaggregated serving: the prefill leg (a small, fully buffered upstream answer) and the
// SGLang bootstrap ports learnt from each prefill server's /get_server_info.
import { request } from 'undici';
import { bootstrapPortOf } from './pd.js';
import type { UpstreamHandler } from './upstream.js';

/** Longest prefill answer kept (a one-token completion is a few hundred bytes). */
const MAX_PREFILL_ANSWER = 1 << 20;

/** What a prefill leg reports to its exchange. */
export interface PrefillOwner {
  /** The leg is on a socket; `abort` cancels it. */
  prefillConnected(abort: (err?: Error) => void): void;
  /** The prefill answered (any status) with this body. */
  prefillDone(status: number, body: Buffer, rawHeaders: Array<Buffer | string>): void;
  /** Connection failure, abort or a broken answer. */
  prefillFailed(err: Error): void;
}

/** An upstream handler that buffers a prefill answer and reports it once. */
export class PrefillLeg implements UpstreamHandler {
  private status = 0;
  private headers: Array<Buffer | string> = [];
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private settled = false;

  constructor(private readonly owner: PrefillOwner) {}

  /** The leg is on a socket. */
  onConnect(abort: (err?: Error) => void): void {
    this.owner.prefillConnected(abort);
  }

  /** Status and headers of the prefill answer. */
  onHeaders(statusCode: number, rawHeaders: Array<Buffer | string>): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.headers = rawHeaders;
    return true;
  }

  /** A chunk of the answer; anything past the cap is dropped (the answer is then reported broken). */
  onData(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size <= MAX_PREFILL_ANSWER) this.chunks.push(chunk);
    return true;
  }

  /** The answer ended. */
  onComplete(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.size > MAX_PREFILL_ANSWER) return this.owner.prefillFailed(new Error(`prefill answer larger than ${MAX_PREFILL_ANSWER} bytes`));
    this.owner.prefillDone(this.status, Buffer.concat(this.chunks, this.size), this.headers);
  }

  /** Connection failure or abort. */
  onError(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.owner.prefillFailed(err);
  }
}

/** Bootstrap ports of SGLang prefill servers by address, asked once and remembered. */
export class BootstrapPorts {
  private readonly known = new Map<string, number>();
  private readonly asking = new Map<string, Promise<number>>();

  /** The port if already known (the common, synchronous case). */
  get(address: string): number | undefined {
    return this.known.get(address);
  }

  /** Asks the prefill server (GET /get_server_info); an unreachable or odd answer means the default port, not remembered. */
  lookup(address: string, timeoutMs = 2000): Promise<number> {
    let p = this.asking.get(address);
    if (p) return p;
    p = (async () => {
      try {
        const r = await request(`${address}/get_server_info`, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
        const body = await r.body.json().catch(() => null);
        const port = bootstrapPortOf(body);
        if (r.statusCode === 200) this.known.set(address, port);
        return port;
      } catch {
        return bootstrapPortOf(null);
      } finally {
        this.asking.delete(address);
      }
    })();
    this.asking.set(address, p);
    return p;
  }

  /** Forgets addresses not in `keep` (endpoints that left the table). */
  retain(keep: ReadonlySet<string>): void {
    for (const a of this.known.keys()) if (!keep.has(a)) this.known.delete(a);
  }
}
