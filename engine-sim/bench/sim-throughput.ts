// Benchmark: how many requests/s and streamed tokens/s ONE simulator process sustains with zero
// modelled latency (every token is due at once), so we know it is never the bottleneck of the
// gateway benchmarks.
//
// How it measures: starts `mi-engine-sim` as a child process (its own Node process and event
// loop) with --prefill-overhead-ms 0 --prefill-ms-per-token 0 --itl-ms 0 --time-scale 1000
// --max-num-seqs 1024, then drives it from this process with an undici Pool (keep-alive, N
// connections, N requests in flight) for a fixed duration per phase:
//   1. non-streaming /v1/completions, max_tokens 1      -> requests/s
//   2. streaming /v1/completions, max_tokens T, ignore_eos -> requests/s and streamed tokens/s
//      (tokens counted from the SSE chunks the client actually received)
// The load generator shares the machine with the simulator (and on a 2-core box with whatever
// else runs), so the figures are a lower bound for the simulator alone.
//
// Run: node --import tsx engine-sim/bench/sim-throughput.ts [--duration-s 5] [--concurrency 64] [--tokens 64]
//   [--cpu-prof DIR]  (run the simulator child under node --cpu-prof; the .cpuprofile lands in DIR)
//   [--sim-bin PATH]  (another tree's bin/mi-engine-sim.js, e.g. the commit before a change)

import { Pool } from 'undici';
import { argValue, cpuSeconds, loadAverage, startSimChild, ZERO_LATENCY_ARGS } from './sim-bench-util.js';

const durationMs = Number(argValue('duration-s', '5')) * 1000;
const concurrency = Number(argValue('concurrency', '64'));
const tokens = Number(argValue('tokens', '64'));
const profDir = argValue('cpu-prof', '');
const simBin = argValue('sim-bin', '');

interface PhaseResult { requests: number; tokens: number; errors: number; seconds: number; simCpu: number }

async function phase(pool: Pool, pid: number, stream: boolean, maxTokens: number): Promise<PhaseResult> {
  const cpu0 = cpuSeconds(pid);
  const body = JSON.stringify({ model: 'sim-small', prompt: 'benchmark prompt with a few words in it', max_tokens: maxTokens, stream, ignore_eos: true });
  const deadline = performance.now() + durationMs;
  const start = performance.now();
  let requests = 0;
  let streamed = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      try {
        const res = await pool.request({ path: '/v1/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (res.statusCode !== 200) {
          errors++;
          await res.body.dump();
          continue;
        }
        if (stream) {
          let tail = '';
          for await (const chunk of res.body) {
            const text = tail + (chunk as Buffer).toString('utf8');
            const events = text.split('\n\n');
            tail = events.pop() ?? '';
            for (const e of events) if (e.startsWith('data: {')) streamed++;
          }
        } else {
          await res.body.text();
          streamed += maxTokens;
        }
        requests++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  return { requests, tokens: streamed, errors, seconds, simCpu: (cpuSeconds(pid) - cpu0) / seconds };
}

const sim = await startSimChild(ZERO_LATENCY_ARGS, profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [], simBin || undefined);
const pool = new Pool(sim.url, { connections: concurrency, pipelining: 1 });
try {
  await phase(pool, sim.pid, false, 1).catch(() => undefined); // warm-up is not reported
  const a = await phase(pool, sim.pid, false, 1);
  const b = await phase(pool, sim.pid, true, tokens);
  const fmt = (n: number): string => n.toFixed(0);
  const pct = (r: PhaseResult): string => `simulator CPU ${(r.simCpu * 100).toFixed(0)}% of one core,`
    + ` ${fmt((r.simCpu * r.seconds * 1e6) / Math.max(1, r.requests))} µs per request`;
  // Capacity if the simulator had a whole core to itself (linear in its CPU use).
  const perCore = (rate: number, r: PhaseResult): string => (r.simCpu > 0 ? fmt(rate / r.simCpu) : 'n/a');
  process.stdout.write([
    `mi-engine-sim throughput (one simulator process${simBin ? ` from ${simBin}` : ''}, zero latencies, time-scale 1000, ${concurrency} concurrent clients,`
      + ` ${durationMs / 1000} s per phase)`,
    `  non-streaming, max_tokens 1:  ${fmt(a.requests / a.seconds)} requests/s  (${a.requests} requests, ${a.errors} errors; ${pct(a)};`
      + ` ~${perCore(a.requests / a.seconds, a)} requests/s per full core)`,
    `  streaming, max_tokens ${tokens}:  ${fmt(b.requests / b.seconds)} requests/s, ${fmt(b.tokens / b.seconds)} streamed tokens/s  (${b.requests} requests,`
      + ` ${b.tokens} token chunks, ${b.errors} errors; ${pct(b)}; ~${perCore(b.tokens / b.seconds, b)} tokens/s per full core)`,
    '  Measured client-side from a separate process on the same machine (the load generator competes for CPU),',
    '  so the rates are a lower bound; "per full core" extrapolates from the simulator\'s own CPU time (/proc).',
    `  load average now: ${loadAverage()}`,
  ].join('\n') + '\n');
} finally {
  await pool.close();
  await sim.stop();
}
