// Pooled, kept-alive upstream connections, one pool per endpoint address. Two interchangeable
// clients (undici Pool and node:http with a keep-alive Agent) so the benchmark can compare them;
// see README.md for which is the default and why.
import http from 'node:http';
import type { Readable } from 'node:stream';
import { Pool } from 'undici';

/** Request headers sent upstream. */
export type OutgoingHeaders = Record<string, string | string[]>;

/** What an upstream answered, before any body byte is read. */
export interface UpstreamResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/** One POST to an endpoint; rejects on connection errors and on abort. */
export interface UpstreamClient {
  post(address: string, path: string, headers: OutgoingHeaders, body: Buffer, signal: AbortSignal): Promise<UpstreamResponse>;
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

  async post(address: string, path: string, headers: OutgoingHeaders, body: Buffer, signal: AbortSignal): Promise<UpstreamResponse> {
    const r = await this.pool(address).request({ method: 'POST', path, headers, body, signal });
    return { statusCode: r.statusCode, headers: r.headers, body: r.body };
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

  post(address: string, path: string, headers: OutgoingHeaders, body: Buffer, signal: AbortSignal): Promise<UpstreamResponse> {
    let u = this.urls.get(address);
    if (!u) {
      const url = new URL(address);
      u = { hostname: url.hostname, port: Number(url.port || 80) };
      this.urls.set(address, u);
    }
    return new Promise((resolve, reject) => {
      const req = http.request({ agent: this.agent, hostname: u.hostname, port: u.port, method: 'POST', path, headers, signal });
      req.once('response', (res) => resolve({ statusCode: res.statusCode ?? 502, headers: res.headers, body: res }));
      req.once('error', reject);
      req.end(body);
    });
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
