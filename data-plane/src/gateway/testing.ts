// Test helpers for the gateway suites: a small OpenAI-shaped upstream on node:http, route-entry
// builders, a KV writer and a poll-until helper. Not exported from the package.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { BUCKETS, encodeRouteEntry, type RouteEntry, type RouteServer } from '@matrixinfer/events';

/** Behaviour knobs of a fake upstream, changeable while it runs. */
export interface FakeMode {
  /** Answer every request with this status (OpenAI error body) instead of a completion. */
  status?: number;
  /** Wait before sending the status line. */
  delayMs?: number;
  /** Tokens to generate and the pause between streamed tokens. */
  tokens?: number;
  tokenDelayMs?: number;
  /** Stream this many bytes of SSE comments, honouring backpressure (sentBytes counts them). */
  bulkBytes?: number;
  /** Extra top-level fields of a non-streamed answer (e.g. a PD prefill's kv_transfer_params). */
  jsonExtra?: Record<string, unknown>;
  /** Never answer (the connection stays open), as a frozen engine. */
  stall?: boolean;
  /** A stream stops after this many tokens and stays open. */
  stallAfterTokens?: number;
  /**
   * prompt_tokens reported: one per character of the JSON-encoded prompt (a tokenizer far
   * denser than the gateway's chars/4 estimate). Default: 1, below any estimate, so input-limit
   * tests count only what the gateway estimated.
   */
  densePromptTokens?: boolean;
}

export interface FakeUpstream {
  readonly id: string;
  readonly url: string;
  /** Requests being answered now (drops as soon as a client cancels). */
  running: number;
  /** Every request body and headers received. */
  readonly received: Array<{ path: string; body: Record<string, unknown>; headers: http.IncomingHttpHeaders }>;
  mode: FakeMode;
  /** Bytes accepted by the socket so far in bulk mode. */
  sentBytes: number;
  /** Kills it like a crash: every socket destroyed, no more connections. */
  kill(): Promise<void>;
  close(): Promise<void>;
}

function chunk(id: string, model: string, object: string, choice: Record<string, unknown>, usage: unknown): string {
  return `data: ${JSON.stringify({ id, object, created: 1, model, choices: choice ? [choice] : [], usage })}\n\n`;
}

/** Starts an OpenAI-compatible fake engine on 127.0.0.1:0. */
export async function startFakeUpstream(id: string, mode: FakeMode = {}): Promise<FakeUpstream> {
  const sockets = new Set<Socket>();
  const received: FakeUpstream['received'] = [];
  const fake = { id, url: '', running: 0, received, mode, sentBytes: 0 } as FakeUpstream;
  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const body = JSON.parse(raw) as Record<string, unknown>;
    received.push({ path: req.url ?? '', body, headers: req.headers });
    const m = fake.mode;
    fake.running++;
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      fake.running--;
    };
    res.on('close', done);
    const model = String(body.model);
    const start = (): void => {
      if (m.stall === true) return;
      if (m.status !== undefined && m.status >= 400) {
        const payload = JSON.stringify({ error: { message: `fake ${id} failing`, type: 'InternalServerError', param: null, code: m.status } });
        res.writeHead(m.status, { 'content-type': 'application/json' });
        res.end(payload);
        return;
      }
      if (m.bulkBytes !== undefined) {
        const piece = Buffer.alloc(64 * 1024, ':');
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const pump = (): void => {
          while (fake.sentBytes < m.bulkBytes! && !res.destroyed) {
            fake.sentBytes += piece.length;
            if (!res.write(piece)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      const n = m.tokens ?? 3;
      const chat = req.url === '/v1/chat/completions';
      const promptTokens = m.densePromptTokens === true ? JSON.stringify(chat ? body.messages : body.prompt).length : 1;
      const usage = { prompt_tokens: promptTokens, completion_tokens: n, total_tokens: promptTokens + n };
      if (body.stream !== true) {
        const text = Array.from({ length: n }, (_, i) => `t${i}`).join(' ');
        const choice = chat ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' } : { index: 0, text, finish_reason: 'stop' };
        const payload = JSON.stringify({ id: `cmpl-${id}`, object: chat ? 'chat.completion' : 'text_completion', created: 1, model, choices: [choice], usage, ...m.jsonExtra });
        res.writeHead(200, { 'content-type': 'application/json', 'x-fake': id });
        res.end(payload);
        return;
      }
      const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
      const object = chat ? 'chat.completion.chunk' : 'text_completion';
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-fake': id });
      let i = 0;
      const next = (): void => {
        if (res.destroyed) return;
        if (i === 0 && chat) res.write(chunk(id, model, object, { index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }, includeUsage ? null : undefined));
        if (m.stallAfterTokens !== undefined && i >= m.stallAfterTokens) return;
        if (i < n) {
          const tok = `t${i} `;
          res.write(chunk(id, model, object, chat ? { index: 0, delta: { content: tok }, finish_reason: null } : { index: 0, text: tok, finish_reason: null }, includeUsage ? null : undefined));
          i++;
          setTimeout(next, m.tokenDelayMs ?? 0);
          return;
        }
        res.write(chunk(id, model, object, chat ? { index: 0, delta: {}, finish_reason: 'stop' } : { index: 0, text: '', finish_reason: 'stop' }, includeUsage ? null : undefined));
        if (includeUsage) res.write(`data: ${JSON.stringify({ id, object, created: 1, model, choices: [], usage })}\n\n`);
        res.end('data: [DONE]\n\n');
      };
      next();
    };
    if (m.delayMs) setTimeout(start, m.delayMs);
    else start();
  };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => handle(req, res, raw));
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  (fake as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closed = false;
  const shut = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    const p = new Promise<void>((r) => server.close(() => r()));
    for (const s of sockets) s.destroy();
    await p;
  };
  fake.kill = shut;
  fake.close = shut;
  return fake;
}

/** A ModelServer with the given endpoints. */
export function server(name: string, endpoints: FakeUpstream[] | Array<{ id: string; url: string }>, extra: Partial<RouteServer> = {}): RouteServer {
  return {
    name,
    namespace: 'default',
    engine: 'vLLM',
    endpoints: endpoints.map((e) => ({ id: e.id, address: e.url, role: 'both' as const })),
    ...extra,
  };
}

/** A model entry whose single default rule splits over `targets` (name, weight). */
export function modelEntry(name: string, servers: RouteServer[], targets?: Array<[string, number]>, extra: Partial<RouteEntry> = {}): RouteEntry {
  const t = targets ?? servers.map((s) => [s.name, 100] as [string, number]);
  return {
    format: 'mi.route/v1',
    name,
    kind: 'model',
    namespace: 'default',
    route: `${name}-route`,
    rules: [{ name: 'default', targets: t.map(([modelServer, weight]) => ({ modelServer, weight })) }],
    servers: Object.fromEntries(servers.map((s) => [s.name, s])),
    ...extra,
  };
}

/** Opens (creating when absent) the routes bucket. */
export async function routesBucket(nc: NatsConnection, bucket: string = BUCKETS.routes): Promise<KV> {
  return new Kvm(nc).create(bucket, { history: 5 });
}

/** Writes an entry under its name; returns the revision. */
export function putRoute(kv: KV, entry: RouteEntry): Promise<number> {
  return kv.put(entry.name, encodeRouteEntry(entry));
}

/** Polls `check` every 5 ms until it returns true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
