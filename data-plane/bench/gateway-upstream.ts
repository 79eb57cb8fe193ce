// Benchmark upstream: a minimal zero-latency OpenAI-shaped server on node:http (the engine
// simulator with zero latencies is the other choice; this one has no model at all, so what is
// measured is the proxy, not the engine). Prints `{"url":...}` on stdout once listening.
// Usage: node --import tsx bench/gateway-upstream.ts [--tokens N]
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const tokensArg = process.argv.indexOf('--tokens');
const TOKENS = tokensArg > 0 ? Number(process.argv[tokensArg + 1]) : 16;

function chatBody(model: string): string {
  return JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'tok '.repeat(TOKENS) }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: TOKENS, total_tokens: 12 + TOKENS },
  });
}

function chunk(model: string, delta: Record<string, unknown>, finish: string | null): string {
  return `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":${JSON.stringify(delta)},"finish_reason":${finish === null ? 'null' : JSON.stringify(finish)}}],"usage":null}\n\n`;
}

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    if (req.method !== 'POST') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"object":"list","data":[{"id":"bench","object":"model"}]}');
      return;
    }
    let body: { model: string; stream?: boolean };
    try {
      body = JSON.parse(Buffer.concat(parts).toString()) as { model: string; stream?: boolean };
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"body is not JSON","type":"BadRequestError","param":null,"code":400}}');
      return;
    }
    if (body.stream !== true) {
      const payload = chatBody(body.model);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(chunk(body.model, { role: 'assistant', content: '' }, null));
    for (let i = 0; i < TOKENS; i++) res.write(chunk(body.model, { content: 'tok ' }, null));
    res.write(chunk(body.model, {}, 'stop'));
    res.write(`data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":${JSON.stringify(body.model)},"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":${TOKENS},"total_tokens":${12 + TOKENS}}}\n\n`);
    res.end('data: [DONE]\n\n');
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
