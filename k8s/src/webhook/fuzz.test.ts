// Property-based fuzzing of the admission webhook over HTTPS (fast-check): 5,000 malformed
// AdmissionReview bodies (wrong types at any depth, arbitrary JSON, truncated JSON, deep
// nesting, invalid UTF-8, bodies over the size limit). Every one must get a well-formed review
// (200 with the request's uid) or a 4xx with a reason, the server must keep answering a valid
// review, and the heap after the run must not have grown with the number of requests.
import { expect } from 'chai';
import { Agent, request } from 'node:https';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import winston from 'winston';
import { generateServingCert } from './certs.js';
import { startWebhookServer, type WebhookServer } from './server.js';

const RUNS = 5000;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const validReview = (): { [k: string]: Json } => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'u-fuzz',
    kind: { group: 'registry.matrixinfer.ai', version: 'v1alpha1', kind: 'Model' },
    operation: 'CREATE',
    name: 'm',
    namespace: 'default',
    object: {
      apiVersion: 'registry.matrixinfer.ai/v1alpha1',
      kind: 'Model',
      metadata: { name: 'm', namespace: 'default' },
      spec: { backends: [{ name: 'b', type: 'vLLM', modelURI: 'hf://org/m', minReplicas: 1, maxReplicas: 2, workers: [{ type: 'server' }] }] },
    },
  },
});

// Where a wrong value is put: every level of the review, down into the Model.
const PATHS = [
  [],
  ['apiVersion'],
  ['kind'],
  ['request'],
  ['request', 'uid'],
  ['request', 'kind'],
  ['request', 'kind', 'kind'],
  ['request', 'operation'],
  ['request', 'namespace'],
  ['request', 'object'],
  ['request', 'object', 'kind'],
  ['request', 'object', 'metadata'],
  ['request', 'object', 'metadata', 'name'],
  ['request', 'object', 'spec'],
  ['request', 'object', 'spec', 'backends'],
  ['request', 'oldObject'],
];

function setAt(doc: { [k: string]: Json }, path: string[], value: Json): Json {
  if (path.length === 0) return value;
  let node = doc as { [k: string]: Json };
  for (const k of path.slice(0, -1)) node = node[k] as { [k: string]: Json };
  node[path[path.length - 1]] = value;
  return doc;
}

const wrongTypes = fc.tuple(fc.constantFrom(...PATHS), fc.jsonValue({ maxDepth: 4 })).map(([p, v]) => JSON.stringify(setAt(validReview(), p, v as Json)));
const arbitraryJson = fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v));
const truncated = fc.integer({ min: 0, max: 400 }).map((n) => JSON.stringify(validReview()).slice(0, n));
const deep = fc.tuple(fc.integer({ min: 100, max: 20_000 }), fc.constantFrom('[', '{"a":')).map(([n, open]) => {
  const close = open === '[' ? ']' : '}';
  const inner = open === '[' ? '' : '1';
  return JSON.stringify(validReview()).replace('"spec":', `"spec":${open.repeat(n)}${inner}${close.repeat(n)},"x":`);
});
const invalidUtf8 = fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 0, max: 300 })).map(([bytes, at]) => {
  const text = Buffer.from(JSON.stringify(validReview()));
  const cut = Math.min(at, text.length);
  // 0xC0-0xFF lead bytes without continuation: never valid UTF-8.
  const bad = Buffer.from([0xc3, 0x28, 0xff, ...bytes.map((b) => b | 0x80)]);
  return Buffer.concat([text.subarray(0, cut), bad, text.subarray(cut)]);
});
const rawBytes = fc.uint8Array({ minLength: 0, maxLength: 512 }).map((b) => Buffer.from(b));
const tooLarge = fc.constantFrom(1, 2).map((k) => `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"big","x":"${'a'.repeat(3 * 1024 * 1024 + k)}"}}`);

const bodies: fc.Arbitrary<string | Buffer> = fc.oneof(
  { weight: 30, arbitrary: wrongTypes },
  { weight: 15, arbitrary: arbitraryJson },
  { weight: 15, arbitrary: truncated },
  { weight: 10, arbitrary: deep },
  { weight: 15, arbitrary: invalidUtf8 },
  { weight: 14, arbitrary: rawBytes },
  { weight: 1, arbitrary: tooLarge },
);

describe('admission webhook fuzz (fast-check, HTTPS)', function () {
  this.timeout(240_000);
  let hook: WebhookServer;
  const agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });

  before(async () => {
    const cert = await generateServingCert(['localhost'], ['127.0.0.1'], 3600_000);
    hook = await startWebhookServer({ cert, port: 0, host: '127.0.0.1', logger: winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] }) });
  });
  after(async () => {
    agent.destroy();
    await hook?.close();
  });

  const post = (path: string, body: string | Buffer) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${hook.url}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end(body);
    });

  function heapAfterGc(): number {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    return process.memoryUsage().heapUsed;
  }

  it(`${RUNS} malformed reviews: each a well-formed review or a 4xx with a reason; the server goes on; the heap stays flat`, async () => {
    const seen = new Map<number, number>();
    let heapAtStart = 0;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(bodies, fc.constantFrom('/validate', '/mutate'), async (body, path) => {
        if (run++ === 500) heapAtStart = heapAfterGc();
        const r = await post(path, body);
        seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
        if (r.status === 200) {
          const review = JSON.parse(r.text) as { kind?: string; response?: { uid?: unknown; allowed?: unknown } };
          expect(review.kind).to.equal('AdmissionReview');
          expect(review.response?.uid).to.be.a('string');
          expect(review.response?.allowed).to.be.a('boolean');
        } else {
          expect(r.status, r.text).to.be.within(400, 499);
          expect((JSON.parse(r.text) as { error?: unknown }).error).to.be.a('string').and.not.equal('');
        }
      }),
      { numRuns: RUNS, seed: 20261207, endOnFailure: true },
    );
    const ok = await post('/validate', JSON.stringify(validReview()));
    expect(ok.status).to.equal(200);
    expect((JSON.parse(ok.text) as { response: { allowed: boolean } }).response.allowed).to.equal(true);
    const grown = heapAfterGc() - heapAtStart;
    // 4,500 requests after the first measurement: a leak of even 2 KiB each would show as 9 MiB.
    expect(grown, `heap grew ${(grown / 1048576).toFixed(1)} MiB; statuses ${JSON.stringify([...seen])}`).to.be.below(8 * 1024 * 1024);
    expect(seen.get(400) ?? 0, 'malformed bodies answered 400').to.be.greaterThan(0);
    expect(seen.get(200) ?? 0, 'wrong types inside a parsable review answered with a review').to.be.greaterThan(0);
  });
});
