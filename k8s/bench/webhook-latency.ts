// Benchmark of the admission webhook (issue #15): latency of valid reviews over HTTPS and
// robustness against malformed ones, on this machine, against 127.0.0.1 only.
//
// Method: one `mi webhook` server in this process (generated certificate), one keep-alive
// HTTPS agent trusting its CA. Phase 1: WARMUP reviews, then N valid Model reviews (validate
// and mutate alternating) sent one at a time; each latency is the client's time from request to
// the end of the response. Phase 2: FUZZ malformed bodies of seeded random shapes; every
// answer must be 200 with a review or 400, the server must still answer a valid review after,
// and the process RSS before/after is printed (a leak shows as growth that does not settle).
// Usage: node --import tsx bench/webhook-latency.ts [N=2000] [FUZZ=5000]
import { Agent, request } from 'node:https';
import winston from 'winston';
import { generateServingCert } from '../src/webhook/certs.js';
import { startWebhookServer } from '../src/webhook/server.js';

const N = Number(process.argv[2] ?? 2000);
const FUZZ = Number(process.argv[3] ?? 5000);
const WARMUP = 200;

const review = (i: number) => JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: `u-${i}`,
    kind: { group: 'registry.matrixinfer.ai', version: 'v1alpha1', kind: 'Model' },
    operation: 'CREATE',
    name: `m-${i}`,
    namespace: 'default',
    object: { apiVersion: 'registry.matrixinfer.ai/v1alpha1', kind: 'Model', metadata: { name: `m-${i}`, namespace: 'default' }, spec: { backends: [{ name: 'b', type: 'vLLM', modelURI: 'hf://org/m', minReplicas: 1, maxReplicas: 4, workers: [{ type: 'server', image: 'vllm/vllm-openai:v0.8.5', config: { 'max-model-len': 8192 } }] }] } },
  },
});

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const cert = await generateServingCert(['localhost'], ['127.0.0.1'], 3600_000);
  const server = await startWebhookServer({ cert, port: 0, host: '127.0.0.1', logger: winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] }) });
  const agent = new Agent({ keepAlive: true, ca: cert.ca, maxSockets: 1 });
  const post = (path: string, body: string | Buffer) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${server.url}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end(body);
    });

  for (let i = 0; i < WARMUP; i++) await post(i % 2 ? '/validate' : '/mutate', review(i));
  const ms: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    const r = await post(i % 2 ? '/validate' : '/mutate', review(i));
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 200) throw new Error(`valid review answered ${r.status}: ${r.text}`);
  }
  ms.sort((a, b) => a - b);
  console.log(`valid reviews: n=${N} (after ${WARMUP} warm-up), sequential, keep-alive HTTPS on 127.0.0.1`);
  console.log(`  latency ms: p50 ${quantile(ms, 0.5).toFixed(2)}  p90 ${quantile(ms, 0.9).toFixed(2)}  p99 ${quantile(ms, 0.99).toFixed(2)}  max ${ms[ms.length - 1].toFixed(2)}`);

  let seed = 4711;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const shapes: (() => string | Buffer)[] = [
    () => Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 400) }, () => Math.floor(rnd() * 256))),
    () => review(0).replace('"Model"', rnd() > 0.5 ? '7' : 'null'),
    () => review(0).replace('"minReplicas":1', `"minReplicas":${rnd() > 0.5 ? '"x"' : '-5'}`),
    () => '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
    () => JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', kind: { group: 'registry.matrixinfer.ai', kind: 'Model' }, operation: 'CREATE', object: { spec: { backends: Array.from({ length: 2000 }, () => ({ name: 'x'.repeat(100) })) } } } }),
    () => '\xff\xfe\xfd' + review(0),
  ];
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const statuses = new Map<number, number>();
  for (let i = 0; i < FUZZ; i++) {
    const r = await post(i % 2 ? '/validate' : '/mutate', shapes[i % shapes.length]());
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    if (r.status !== 200 && r.status !== 400 && r.status !== 413) throw new Error(`malformed body ${i} answered ${r.status}: ${r.text.slice(0, 200)}`);
    if (r.status === 200 && typeof (JSON.parse(r.text) as { response?: { uid?: unknown } }).response?.uid !== 'string') throw new Error(`body ${i}: 200 without a review`);
  }
  global.gc?.();
  const rssAfter = process.memoryUsage().rss;
  const alive = await post('/validate', review(1));
  console.log(`malformed bodies: n=${FUZZ}; answers ${[...statuses].map(([s, n]) => `${s}×${n}`).join(', ')}; server answers a valid review after: ${alive.status === 200}`);
  console.log(`  RSS MiB before ${(rssBefore / 2 ** 20).toFixed(1)}, after ${(rssAfter / 2 ** 20).toFixed(1)} (client and server share this process)`);
  agent.destroy();
  await server.close();
}

await main();
