// Pooled, kept-alive upstream connections, one pool per endpoint address. Two interchangeable
// clients drive the same callback handler: undici's Pool through its low-level dispatch API
// (no response stream object, no promise, no AbortController per request) and node:http with a
// keep-alive Agent. The benchmark compares them; README.md records which is the default and why.
import http from 'node:http';
import { Pool } from 'undici';

/** Request headers sent upstream. */
export type OutgoingHeaders = Record<string, string | string[]>;

/**
 * What receives an upstream response (the shape of undici's dispatch handler, so an Exchange is
 * passed to undici as it is). Raw headers are flat name/value pairs.
 */
export interface UpstreamHandler {
  /** The request is on a socket; `abort` cancels it (onError follows). */
  onConnect(abort: (err?: Error) => void): void;
  /** Status and headers; `resume` restarts a body paused by onData returning false. */
  onHeaders(statusCode: number, rawHeaders: Array<Buffer | string>, resume: () => void, statusText: string): boolean;
  /** A body chunk; return false to pause the upstream until `resume`. */
  onData(chunk: Buffer): boolean;
  /** The body ended. */
  onComplete(trailers: unknown): void;
  /** Connection failure, abort, or a broken body. */
  onError(err: Error): void;
}

/** One POST to an endpoint, reported to `handler`. */
export interface UpstreamClient {
  post(address: string, path: string, headers: OutgoingHeaders, body: Buffer, handler: UpstreamHandler): void;
  /** Drops pools of addresses not in `keep` (endpoints that left the table). */
  retain(keep: ReadonlySet<string>): void;
  close(): Promise<void>;
}

export type UpstreamKind = 'undici' | 'http';

/** Sockets per endpoint: enough for every in-flight request at the concurrency we target. */
const CONNECTIONS_PER_ENDPOINT = 512;

class UndiciUpstream implements UpstreamClient {
  private readonly pools = new Map<string, Pool>();

  private pool(address: string): Pool {
    let p = this.pools.get(address);
    if (!p) {
      p = new Pool(address, {
        connections: CONNECTIONS_PER_ENDPOINT,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        // Timeouts are the ModelServer's policy (enforced by the proxy), not undici's defaults.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.pools.set(address, p);
    }
    return p;
  }

  post(address: string, path: string, headers: OutgoingHeaders, body: Buffer, handler: UpstreamHandler): void {
    this.pool(address).dispatch({ method: 'POST', path, headers, body }, handler);
  }

  retain(keep: ReadonlySet<string>): void {
    for (const [addr, p] of this.pools) {
      if (!keep.has(addr)) {
        this.pools.delete(addr);
        void p.close().catch(() => undefined);
      }
    }
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.destroy().catch(() => undefined)));
  }
}

class HttpUpstream implements UpstreamClient {
  private readonly agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 30_000, maxSockets: CONNECTIONS_PER_ENDPOINT, scheduling: 'lifo' });
  private readonly urls = new Map<string, { hostname: string; port: number }>();

  post(address: string, path: string, headers: OutgoingHeaders, body: Buffer, handler: UpstreamHandler): void {
    let u = this.urls.get(address);
    if (!u) {
      const url = new URL(address);
      u = { hostname: url.hostname, port: Number(url.port || 80) };
      this.urls.set(address, u);
    }
    let failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      handler.onError(err);
    };
    const req = http.request({ agent: this.agent, hostname: u.hostname, port: u.port, method: 'POST', path, headers });
    handler.onConnect((err) => req.destroy(err ?? new Error('aborted')));
    req.once('error', fail);
    req.once('response', (res) => {
      handler.onHeaders(res.statusCode ?? 502, res.rawHeaders, () => res.resume(), res.statusMessage ?? '');
      res.on('data', (c: Buffer) => {
        if (!handler.onData(c)) res.pause();
      });
      res.once('end', () => {
        if (!failed) handler.onComplete(null);
      });
      res.once('error', fail);
      res.once('aborted', () => fail(new Error('upstream closed the response early')));
    });
    req.end(body);
  }

  retain(keep: ReadonlySet<string>): void {
    for (const addr of this.urls.keys()) if (!keep.has(addr)) this.urls.delete(addr);
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

/** Creates the upstream client of the given kind. */
export function createUpstream(kind: UpstreamKind = 'undici'): UpstreamClient {
  return kind === 'http' ? new HttpUpstream() : new UndiciUpstream();
}
