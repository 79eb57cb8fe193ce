// Load generator child process of the routing-quality benchmark. Started once per benchmark
// (`loadgen.ts --serve`: prints `{"loadgen":"http://127.0.0.1:<port>"}` and answers each
// `POST /run` of a LoadSpec with its LoadResult, one phase at a time) so no phase pays a node
// start-up; `loadgen.ts '<LoadSpec JSON>'` runs one phase, prints the result line and exits.
// It drives the gateways (spread round-robin over `urls`). Two modes:
//   open:   seeded Poisson arrivals at `rate` (model req/s), streaming; client TTFT (first body
//           chunk = first token event) and end-to-end, converted to model time (wall × timeScale),
//           of every request after the first `warmupRequests`;
//   closed: `concurrency` clients back to back for `durationS` model seconds, non-streaming;
//           throughput = requests finished after `warmupS` / measured model seconds. Requests
//           still running at the end are aborted (the gateway cancels them upstream). Clients
//           start spread evenly over the first `rampS` model seconds (0: all at once).
import { createServer } from 'node:http';
import { Agent, request } from 'undici';
import { parseEngineCounters } from './metrics.js';
import { createPromptSource, createRandom, poissonGaps, WORKLOAD_SHAPE, type WorkloadName } from './workloads.js';

/** What one load phase does. Rates and durations are in model time. */
export interface LoadSpec {
  mode: 'open' | 'closed';
  urls: string[];
  model: string;
  workload: WorkloadName;
  seed: number;
  /** Names the system prompts (fresh per cell); see createPromptSource. */
  salt: number;
  /** Other questions over the same system prompts (default 0). */
  stream?: number;
  timeScale: number;
  rate?: number;
  requests?: number;
  /** Open mode: the first N requests warm the caches and are left out of the quantiles. */
  warmupRequests?: number;
  concurrency?: number;
  durationS?: number;
  warmupS?: number;
  /** Closed mode: client i starts at i/concurrency × rampS model seconds. */
  rampS?: number;
  /**
   * Closed mode: engines whose generated-token counters are read at the end of warm-up and at
   * the end, for the token-based throughput (see LoadResult.throughput).
   */
  engineUrls?: string[];
}

/** What one load phase measured; times in model milliseconds. */
export interface LoadResult {
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  ttftMs: number[];
  e2eMs: number[];
  /**
   * Closed mode: requests per model second after warm-up. With `engineUrls`: tokens the engines
   * generated in that window / output tokens per request (work done, partial requests included,
   * so no quantization by synchronized completions); without: requests finished in the window.
   */
  throughput?: number;
  /** Closed mode: requests finished after warm-up, per model second. */
  completedThroughput?: number;
  wallS: number;
}

const agent = new Agent({ connections: 1024, pipelining: 1, keepAliveTimeout: 30_000 });

/** Sum of the engines' generated-token counters. */
async function generatedTokens(urls: readonly string[]): Promise<number> {
  const bodies = await Promise.all(urls.map(async (u) => (await fetch(`${u}/metrics`)).text()));
  return bodies.reduce((sum, b) => sum + parseEngineCounters(b).generationTokens, 0);
}

/** Runs one load phase described by `spec`. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const prompts = createPromptSource(spec.workload, spec.seed, spec.salt, spec.stream ?? 0);
  const statuses: Record<string, number> = {};
  let turn = 0;

  const body = (stream: boolean): string =>
    JSON.stringify({ model: spec.model, prompt: prompts.next(), max_tokens: WORKLOAD_SHAPE.outputTokens, ignore_eos: true, stream });

  /** One request; resolves to [ttft, e2e] wall ms, or null when it failed. */
  const send = async (stream: boolean, signal?: AbortSignal): Promise<[number, number] | null> => {
    const url = spec.urls[turn++ % spec.urls.length];
    const t0 = performance.now();
    let first = -1;
    try {
      const res = await request(`${url}/v1/completions`, {
        method: 'POST', dispatcher: agent, signal,
        headers: { 'content-type': 'application/json' }, body: body(stream),
      });
      for await (const chunk of res.body) if (first < 0 && (chunk as Buffer).length > 0) first = performance.now();
      const key = String(res.statusCode);
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (res.statusCode !== 200) return null;
      const end = performance.now();
      return [first - t0, end - t0];
    } catch (err) {
      const key = signal?.aborted ? 'aborted' : `error:${(err as { code?: string }).code ?? 'unknown'}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
      return null;
    }
  };

  async function open(): Promise<LoadResult> {
    const n = spec.requests ?? 100;
    const gaps = poissonGaps(createRandom(spec.seed * 31 + spec.salt + (spec.stream ?? 0)), spec.rate ?? 1, n);
    const ttft: number[] = [];
    const e2e: number[] = [];
    let failed = 0;
    const pending: Promise<void>[] = [];
    const start = performance.now();
    let due = 0;
    for (let i = 0; i < n; i++) {
      due += (gaps[i] * 1000) / spec.timeScale;
      const wait = start + due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const counted = i >= (spec.warmupRequests ?? 0);
      pending.push(send(true).then((r) => {
        if (r === null) failed++;
        else if (counted) {
          ttft.push(r[0] * spec.timeScale);
          e2e.push(r[1] * spec.timeScale);
        }
      }));
    }
    await Promise.all(pending);
    return { ok: e2e.length, failed, statuses, ttftMs: ttft, e2eMs: e2e, wallS: (performance.now() - start) / 1000 };
  }

  async function closed(): Promise<LoadResult> {
    const durationMs = ((spec.durationS ?? 5) * 1000) / spec.timeScale;
    const warmupMs = ((spec.warmupS ?? 1) * 1000) / spec.timeScale;
    const stop = new AbortController();
    const start = performance.now();
    const e2e: number[] = [];
    let counted = 0;
    let failed = 0;
    const clients = spec.concurrency ?? 64;
    const rampMs = ((spec.rampS ?? 0) * 1000) / spec.timeScale;
    const worker = async (i: number): Promise<void> => {
      const delay = (i / clients) * rampMs;
      if (delay >= 1) await new Promise((r) => setTimeout(r, delay));
      while (performance.now() - start < durationMs) {
        const r = await send(false, stop.signal);
        const at = performance.now() - start;
        if (r === null) {
          if (!stop.signal.aborted) failed++;
          continue;
        }
        if (at >= warmupMs && at <= durationMs) {
          counted++;
          e2e.push(r[1] * spec.timeScale);
        }
      }
    };
    const urls = spec.engineUrls ?? [];
    // Counter reads at the window's edges; the measured span is the wall time between them.
    const edge = (atMs: number): Promise<[number, number]> => new Promise((resolve, reject) => {
      setTimeout(() => {
        const t = performance.now();
        generatedTokens(urls).then((n) => resolve([t, n]), reject);
      }, atMs);
    });
    const edges = urls.length ? Promise.all([edge(warmupMs), edge(durationMs - 1)]) : null;
    const timer = setTimeout(() => stop.abort(), durationMs);
    await Promise.all(Array.from({ length: clients }, (_, i) => worker(i)));
    clearTimeout(timer);
    const windowS = (durationMs - warmupMs) * spec.timeScale / 1000;
    const completedThroughput = counted / windowS;
    let throughput = completedThroughput;
    if (edges) {
      const [[t0, n0], [t1, n1]] = await edges;
      throughput = (n1 - n0) / WORKLOAD_SHAPE.outputTokens / (((t1 - t0) * spec.timeScale) / 1000);
    }
    return { ok: counted, failed, statuses, ttftMs: [], e2eMs: e2e, throughput, completedThroughput, wallS: (performance.now() - start) / 1000 };
  }

  return spec.mode === 'open' ? open() : closed();
}

/** Serves `POST /run` (a LoadSpec) one phase at a time until killed. */
function serve(): void {
  let busy = false;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.method !== 'POST' || req.url !== '/run') return reply(404, { error: 'POST /run only' });
      if (busy) return reply(409, { error: 'a phase is already running' });
      busy = true;
      runLoad(JSON.parse(Buffer.concat(chunks).toString()) as LoadSpec).then(
        (r) => reply(200, r),
        (err: unknown) => reply(500, { error: err instanceof Error ? err.stack ?? err.message : String(err) }),
      ).finally(() => (busy = false));
    });
  });
  // Phases last minutes at most; no server timeout may cut one short.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    if (a && typeof a === 'object') process.stdout.write(`${JSON.stringify({ loadgen: `http://127.0.0.1:${a.port}` })}\n`);
  });
}

if (process.argv[2] === '--serve') serve();
else {
  const result = await runLoad(JSON.parse(process.argv[2] ?? '{}') as LoadSpec);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await agent.close().catch(() => undefined);
  process.exit(0);
}
