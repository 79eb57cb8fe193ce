// Generators of malformed gateway requests for the fuzz suite (fast-check), and the checks of
// what may come back. Test helper: not exported from the package.
//   http cases: well-framed HTTP requests (sent with node:http) whose bodies or headers are wrong
//   raw cases:  bytes an HTTP client cannot send (node:net): garbage, broken chunked encoding,
//               header floods, bad request lines, smuggling-shaped framing, huge declared lengths
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Doc = { [k: string]: Json };

/** A well-framed request: sent by an HTTP client. */
export interface HttpCase {
  kind: 'http';
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Bytes written as they are on a fresh TCP connection, then the write side is ended. */
export interface RawCase {
  kind: 'raw';
  what: string;
  bytes: Buffer;
}

export type FuzzCase = HttpCase | RawCase;

/** The model the fuzz gateway routes (to an engine simulator). */
export const FUZZ_MODEL = 'fuzz';

/** A valid chat body: the base every wrong-type case starts from. */
export function validChat(): Doc {
  return { model: FUZZ_MODEL, messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: [{ type: 'text', text: 'hi' }] }], max_tokens: 2, stream: false };
}

/** A valid completions body. */
export function validCompletion(): Doc {
  return { model: FUZZ_MODEL, prompt: 'once upon', max_tokens: 2 };
}

// Where a wrong value goes: every level of the two bodies.
const CHAT_PATHS: Array<Array<string | number>> = [
  [], ['model'], ['messages'], ['messages', 0], ['messages', 1, 'role'], ['messages', 0, 'content'], ['messages', 1, 'content'],
  ['messages', 1, 'content', 0], ['messages', 1, 'content', 0, 'type'], ['messages', 1, 'content', 0, 'text'], ['stream'],
  ['stream_options'], ['stream_options', 'include_usage'], ['max_tokens'], ['max_completion_tokens'], ['temperature'], ['top_p'],
  ['n'], ['stop'], ['seed'], ['logprobs'], ['top_logprobs'], ['tools'], ['tool_choice'], ['response_format'], ['user'],
  ['kv_transfer_params'], ['__proto__'], ['constructor'],
];
const COMPLETION_PATHS: Array<Array<string | number>> = [
  [], ['model'], ['prompt'], ['prompt', 0], ['max_tokens'], ['stream'], ['stream_options'], ['echo'], ['suffix'], ['best_of'], ['logit_bias'],
];

function setAt(doc: Doc, path: Array<string | number>, value: Json): Json {
  if (path.length === 0) return value;
  let node = doc as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) {
    const next = node[k];
    if (typeof next !== 'object' || next === null) node[k] = typeof k === 'number' ? [] : {};
    node = node[k] as Record<string | number, Json>;
  }
  Object.defineProperty(node, path[path.length - 1], { value, enumerable: true, writable: true, configurable: true });
  return doc;
}

const oddValues: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(-1, 0, 1e308, -1e308, 2 ** 53 + 1, 0.5, '', 'true', [], {}, [null], { '': null }, true, false, null),
  fc.integer({ min: 10_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** Number literals JSON.stringify cannot write (and JSON.parse refuses). */
const exoticNumbers = ['NaN', 'Infinity', '-Infinity', '1e999', '-0', '0x10', '01', '1.', '.5', '+1'];

const wrongTypes = fc
  .tuple(fc.boolean(), fc.nat(), oddValues, fc.boolean())
  .map(([chat, i, v, stream]) => {
    const paths = chat ? CHAT_PATHS : COMPLETION_PATHS;
    const base = chat ? validChat() : validCompletion();
    if (stream) base.stream = true;
    const doc = setAt(base, paths[i % paths.length], v);
    return { chat, text: JSON.stringify(doc) };
  });
const exotic = fc.tuple(fc.boolean(), fc.constantFrom(...exoticNumbers), fc.constantFrom('max_tokens', 'temperature', 'n', 'stream')).map(([chat, num, field]) => ({
  chat,
  text: JSON.stringify(chat ? validChat() : validCompletion()).replace(/}$/, `,"${field}":${num}}`),
}));
const arbitraryJson = fc.tuple(fc.boolean(), fc.jsonValue({ maxDepth: 5 })).map(([chat, v]) => ({ chat, text: JSON.stringify(v) ?? '' }));
const truncated = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 200 })).map(([chat, n]) => ({ chat, text: JSON.stringify(chat ? validChat() : validCompletion()).slice(0, n) }));
const deep = fc.tuple(fc.boolean(), fc.integer({ min: 100, max: 50_000 }), fc.constantFrom('[', '{"a":')).map(([chat, n, open]) => {
  const close = open === '[' ? ']' : '}';
  const inner = open === '[' ? '' : '1';
  return { chat, text: JSON.stringify(chat ? validChat() : validCompletion()).replace('"max_tokens":', `"deep":${open.repeat(n)}${inner}${close.repeat(n)},"max_tokens":`) };
});
const duplicateKeys = fc.boolean().map((chat) => ({ chat, text: JSON.stringify(chat ? validChat() : validCompletion()).replace(/}$/, ',"model":7,"model":"fuzz"}') }));

const textBodies = fc.oneof(
  { weight: 40, arbitrary: wrongTypes },
  { weight: 5, arbitrary: exotic },
  { weight: 10, arbitrary: arbitraryJson },
  { weight: 10, arbitrary: truncated },
  { weight: 5, arbitrary: deep },
  { weight: 2, arbitrary: duplicateKeys },
).map(({ chat, text }) => ({ chat, body: Buffer.from(text) }));

const invalidUtf8 = fc.tuple(fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 0, max: 150 })).map(([chat, bytes, at]) => {
  const text = Buffer.from(JSON.stringify(chat ? validChat() : validCompletion()));
  const cut = Math.min(at, text.length);
  // Lead bytes without continuation, and lone continuation bytes: never valid UTF-8.
  const bad = Buffer.from([0xc3, 0x28, 0xff, 0xed, 0xa0, 0x80, ...bytes.map((b) => b | 0x80)]);
  return { chat, body: Buffer.concat([text.subarray(0, cut), bad, text.subarray(cut)]) };
});
const rawBodies = fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 512 })).map(([chat, b]) => ({ chat, body: Buffer.from(b) }));

/** Bodies over the cap: `capBytes + k` bytes of an otherwise valid-looking JSON object. */
function tooLarge(capBytes: number): fc.Arbitrary<{ chat: boolean; body: Buffer }> {
  return fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 4096 })).map(([chat, k]) => {
    const head = Buffer.from(`{"model":"${FUZZ_MODEL}","prompt":"`);
    const tail = Buffer.from('"}');
    return { chat, body: Buffer.concat([head, Buffer.alloc(capBytes + k - head.length - tail.length, 'a'), tail]) };
  });
}

type Headers = Record<string, string>;
const headerExtras: fc.Arbitrary<Headers> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Headers>({}) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s): Headers => ({ 'x-mi-priority': s.replace(/[^\x20-\x7e]/g, '') })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 8000 }).map((n): Headers => ({ 'x-request-id': 'r'.repeat(n) })) },
  { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', '').map((t): Headers => ({ 'content-type': t })) },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 400 }).map((n): Headers => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-flood-${i}`, 'v'.repeat(i % 50)]))) },
  { weight: 1, arbitrary: fc.constantFrom<Record<string, string>>({ 'x-mi-explain': 'true' }, { connection: 'x-request-id, content-type' }, { expect: '100-continue' }) },
);

function httpCases(capBytes: number): fc.Arbitrary<HttpCase> {
  const bodies = fc.oneof({ weight: 80, arbitrary: textBodies }, { weight: 10, arbitrary: invalidUtf8 }, { weight: 8, arbitrary: rawBodies }, { weight: 1, arbitrary: tooLarge(capBytes) });
  const post = fc.tuple(bodies, headerExtras).map(([{ chat, body }, headers]): HttpCase => ({
    kind: 'http', method: 'POST', path: chat ? '/v1/chat/completions' : '/v1/completions', headers: { 'content-type': 'application/json', ...headers }, body,
  }));
  const other = fc
    .tuple(fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'POST'), fc.constantFrom('/', '/v1', '/v1/models', '/v1/chat/completions?x=1', '/v1/embeddings', '/debug/routes', '/readyz', '/%ff%fe', '/v1/../v1/models', '/metrics?'))
    .map(([method, path]): HttpCase => ({ kind: 'http', method, path, headers: {}, body: Buffer.alloc(0) }));
  return fc.oneof({ weight: 95, arbitrary: post }, { weight: 5, arbitrary: other });
}

const head = (extra: string): string => `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${extra}`;
const chatJson = (): string => JSON.stringify(validChat());

const brokenChunked = fc
  .tuple(fc.constantFrom('zz', '-1', 'ffffffffffffffffff', '5;ext=\u0001', '', '3\n', ' 4', '0x10', '1_0'), fc.boolean(), fc.integer({ min: 0, max: 60 }))
  .map(([size, terminate, cut]): RawCase => {
    const json = chatJson();
    const good = `${json.length.toString(16)}\r\n${json}\r\n`;
    const parts = [head('Transfer-Encoding: chunked\r\n\r\n'), good.slice(0, good.length - cut), `${size}\r\nabc\r\n`, terminate ? '0\r\n\r\n' : ''];
    return { kind: 'raw', what: 'broken chunked encoding', bytes: Buffer.from(parts.join(''), 'latin1') };
  });
const smuggling = fc.constantFrom(
  head(`Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`),
  head(`Content-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef`),
  head(`Content-Length: -1\r\n\r\n`),
  head(`Content-Length: 1e3\r\n\r\n`),
  head(`Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`),
  head(`Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n`),
  head(`Content-Length: 99999999999999999999\r\n\r\n{}`),
  head(`Content-Length: 10737418240\r\n\r\n{}`),
).map((s): RawCase => ({ kind: 'raw', what: 'conflicting or impossible framing', bytes: Buffer.from(s, 'latin1') }));
const headerFlood = fc.oneof(
  fc.integer({ min: 17_000, max: 200_000 }).map((n) => `X-Huge: ${'h'.repeat(n)}\r\n`),
  fc.integer({ min: 2_100, max: 6_000 }).map((n) => Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join('')),
  fc.constantFrom('X-Bad\u0000Name: v\r\n', 'X-Bad: v\u0000\r\n', 'No colon here\r\n', ' Folded: v\r\n', 'X-Folded: a\r\n b\r\n', `X-Sp ace: v\r\n`, 'X-Utf: \u00ff\u00fe\r\n'),
).map((h): RawCase => {
  const json = chatJson();
  return { kind: 'raw', what: 'header flood or malformed header', bytes: Buffer.from(head(`${h}Content-Length: ${json.length}\r\n\r\n${json}`), 'latin1') };
});
const badRequestLine = fc
  .constantFrom('GET / HTTP/9.9', 'GET / HTTP/1.1 extra', 'G\u0000T / HTTP/1.1', 'POST  /v1/chat/completions HTTP/1.1', 'BREW /pot HTCPCP/1.0', '/ HTTP/1.1', 'GET ' + '/a'.repeat(20_000) + ' HTTP/1.1', 'PRI * HTTP/2.0\r\n\r\nSM', 'GET http://[::1 HTTP/1.1', 'POST /v1/completions HTTP/1.0')
  .map((line): RawCase => ({ kind: 'raw', what: 'bad request line', bytes: Buffer.from(`${line}\r\nHost: x\r\n\r\n`, 'latin1') }));
const garbage = fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((b): RawCase => ({ kind: 'raw', what: 'raw garbage', bytes: Buffer.from(b) }));
const tlsHello = fc.constant<RawCase>({ kind: 'raw', what: 'TLS ClientHello on the plain port', bytes: Buffer.from('16030100a5010000a10303', 'hex') });

/** Every kind of malformed request, weighted so that most are well-framed bodies. */
export function fuzzCases(capBytes: number): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    { weight: 80, arbitrary: httpCases(capBytes) },
    { weight: 5, arbitrary: brokenChunked },
    { weight: 3, arbitrary: smuggling },
    { weight: 3, arbitrary: headerFlood },
    { weight: 2, arbitrary: badRequestLine },
    { weight: 6, arbitrary: garbage },
    { weight: 1, arbitrary: tlsHello },
  );
}

/** Statuses the gateway may answer (README error table), plus 200 from the engine for bodies it accepts. */
export const ALLOWED_STATUSES = new Set([200, 400, 404, 405, 413, 429, 431, 502, 503, 504]);

/** Why `text` is not an OpenAI error body {"error":{message,type,param,code}}; null when it is. */
export function openAiErrorProblem(text: string): string | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 200)}`;
  }
  const e = (v as { error?: Record<string, unknown> } | null)?.error;
  if (typeof e !== 'object' || e === null) return `no "error" object: ${text.slice(0, 200)}`;
  if (typeof e.message !== 'string' || e.message === '') return 'error.message is not a non-empty string';
  if (typeof e.type !== 'string' || e.type === '') return 'error.type is not a non-empty string';
  if (!('param' in e) || (e.param !== null && typeof e.param !== 'string')) return 'error.param is not a string or null';
  if (!('code' in e)) return 'error.code missing';
  return null;
}
