// Load generator child process of the routing-quality benchmark. Reads one LoadSpec (JSON) from
// argv[2], drives the gateways (spread round-robin over `urls`), prints one JSON LoadResult line
// on stdout and exits. Two modes:
//   open:   seeded Poisson arrivals at `rate` (model req/s), streaming; client TTFT (first body
//           chunk = first token event) and end-to-end, converted to model time (wall × timeScale),
//           of every request after the first `warmupRequests`;
//   closed: `concurrency` clients back to back for `durationS` model seconds, non-streaming;
//           throughput = requests finished after `warmupS` / measured model seconds. Requests
//           still running at the end are aborted (the gateway cancels them upstream).
import { Agent, request } from 'undici';
import { createPromptSource, createRandom, poissonGaps, WORKLOAD_SHAPE, type WorkloadName } from './workloads.js';

/** What one load phase does. Rates and durations are in model time. */
export interface LoadSpec {
  mode: 'open' | 'closed';
  urls: string[];
  model: string;
  workload: WorkloadName;
  seed: number;
  salt: number;
  timeScale: number;
  rate?: number;
  requests?: number;
  /** Open mode: the first N requests warm the caches and are left out of the quantiles. */
  warmupRequests?: number;
  concurrency?: number;
  durationS?: number;
  warmupS?: number;
}

/** What one load phase measured; times in model milliseconds. */
export interface LoadResult {
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  ttftMs: number[];
  e2eMs: number[];
  /** Closed mode: requests finished per model second after warm-up. */
  throughput?: number;
  wallS: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const agent = new Agent({ connections: 1024, pipelining: 1, keepAliveTimeout: 30_000 });
const prompts = createPromptSource(spec.workload, spec.seed, spec.salt);
const statuses: Record<string, number> = {};
let turn = 0;

function body(stream: boolean): string {
  return JSON.stringify({ model: spec.model, prompt: prompts.next(), max_tokens: WORKLOAD_SHAPE.outputTokens, ignore_eos: true, stream });
}

/** One request; resolves to [ttft, e2e] wall ms, or null when it failed. */
async function send(stream: boolean, signal?: AbortSignal): Promise<[number, number] | null> {
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
}

async function open(): Promise<LoadResult> {
  const n = spec.requests ?? 100;
  const gaps = poissonGaps(createRandom(spec.seed * 31 + spec.salt), spec.rate ?? 1, n);
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
  const worker = async (): Promise<void> => {
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
  const timer = setTimeout(() => stop.abort(), durationMs);
  await Promise.all(Array.from({ length: spec.concurrency ?? 64 }, worker));
  clearTimeout(timer);
  const throughput = counted / ((durationMs - warmupMs) * spec.timeScale / 1000);
  return { ok: counted, failed, statuses, ttftMs: [], e2eMs: e2e, throughput, wallS: (performance.now() - start) / 1000 };
}

const result = spec.mode === 'open' ? await open() : await closed();
process.stdout.write(`${JSON.stringify(result)}\n`);
await agent.close().catch(() => undefined);
process.exit(0);
