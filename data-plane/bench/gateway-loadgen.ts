// Load generator for the gateway benchmarks, run as its own process so it never shares an event
// loop with what it measures. Closed loop (`--concurrency C`) or open loop (`--rate R`), undici
// Pool, latency to the last response byte. Prints one JSON line of results. The same load runs
// for `--warmup` seconds first, unrecorded, so the generator's own JIT warm-up and connection set-up
// do not land in the measured percentiles.
// With `--cpu-pid P` it also reports the CPU time process P used during the measured phase only.
// Usage: node --import tsx bench/gateway-loadgen.ts --url URL --model M [--stream] (--concurrency C | --rate R) --duration S [--warmup 1] [--cpu-pid P]
import { Pool } from 'undici';
import { chatRequestBody, cpuMs } from './gateway-bench-util.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const url = new URL(arg('url') ?? 'http://127.0.0.1:8080');
const model = arg('model') ?? 'bench';
const stream = process.argv.includes('--stream');
const concurrency = Number(arg('concurrency') ?? 0);
const rate = Number(arg('rate') ?? 0);
const durationMs = Number(arg('duration') ?? 5) * 1000;
const warmupMs = Number(arg('warmup') ?? 1) * 1000;
const body = chatRequestBody(model, stream);
const pool = new Pool(url.origin, { connections: concurrency > 0 ? concurrency : 256, pipelining: 1, keepAliveTimeout: 60_000 });
const headers = { 'content-type': 'application/json' };
const cpuPid = Number(arg('cpu-pid') ?? 0);
let latencies: number[] = [];
let errors = 0;

async function one(): Promise<void> {
  const t0 = performance.now();
  try {
    const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers, body });
    const text = await r.body.text();
    if (r.statusCode !== 200 || (stream ? !text.endsWith('data: [DONE]\n\n') : !text.includes('"usage"'))) errors++;
    else latencies.push(performance.now() - t0);
  } catch {
    errors++;
  }
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs the load for `ms`; what `one()` records goes to the current latencies/errors. */
async function run(ms: number): Promise<void> {
  const start = performance.now();
  if (concurrency > 0) {
    const end = start + ms;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) await one();
      }),
    );
    return;
  }
  // Open loop: request i is due at start + i/rate, whatever happened to earlier ones.
  const inflight = new Set<Promise<void>>();
  let sent = 0;
  const total = Math.floor((rate * ms) / 1000);
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      while (sent < due) {
        sent++;
        const p = one();
        inflight.add(p);
        void p.then(() => inflight.delete(p));
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(inflight);
}

if (warmupMs > 0) await run(warmupMs);
latencies = [];
errors = 0;
const cpu0 = cpuPid > 0 ? cpuMs(cpuPid) : 0;
const start = performance.now();
await run(durationMs);
const targetCpuMs = cpuPid > 0 ? cpuMs(cpuPid) - cpu0 : null;
const elapsedS = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const mean = latencies.reduce((s, x) => s + x, 0) / Math.max(1, latencies.length);
process.stdout.write(
  `${JSON.stringify({ requests: latencies.length, errors, targetCpuMs, elapsedS, rps: latencies.length / elapsedS, p50Ms: pct(latencies, 50), p90Ms: pct(latencies, 90), p99Ms: pct(latencies, 99), meanMs: mean })}\n`,
);
await pool.close();
