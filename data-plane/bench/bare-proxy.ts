// Reference proxy for the overhead benchmark: the least an HTTP-aware Node.js proxy does, with
// the same parts as the gateway (node:http server, undici Pool through dispatch, keep-alive) and
// none of its work (no routing table, scheduling, metrics, request ids, logs or retries). Its
// throughput is the ceiling for a proxy built on these parts on this machine; the gateway's
// distance to it is the price of what the gateway does per request.
// Prints `{"url":...}` on stdout once listening.
// Usage: node --import tsx bench/bare-proxy.ts --upstream http://127.0.0.1:PORT
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';

const i = process.argv.indexOf('--upstream');
if (i < 0) throw new Error('usage: bare-proxy.ts --upstream http://127.0.0.1:PORT');
const pool = new Pool(process.argv[i + 1], { connections: 512, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });

/** Relays one upstream response to `res` (status, content-type, body) with backpressure. */
class Relay implements Dispatcher.DispatchHandler {
  private resume: (() => void) | null = null;
  constructor(private readonly res: http.ServerResponse) {}
  onConnect(): void {}
  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    this.resume = resume;
    let type = 'application/json';
    for (let k = 0; k < raw.length; k += 2) if (raw[k].toString().toLowerCase() === 'content-type') type = raw[k + 1].toString();
    this.res.writeHead(status, { 'content-type': type });
    return true;
  }
  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    this.res.once('drain', () => this.resume?.());
    return false;
  }
  onComplete(): void {
    this.res.end();
  }
  onError(): void {
    if (this.res.headersSent) this.res.destroy();
    else this.res.writeHead(502).end();
  }
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    pool.dispatch({ method: req.method ?? 'GET', path: req.url ?? '/', headers: { 'content-type': 'application/json' }, body }, new Relay(res));
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
