// In-process cost of one scheduling decision: schedule() (explained) against place() (order
// only, what the gateway does for the requests it does not explain), default profile, a fresh
// RequestInfo per request as the gateway builds one, and observe() after each as the gateway
// does. Several rounds interleave the two; the smallest per-round mean is printed (the machine's
// noise only adds time).
// Usage: node --import tsx data-plane/src/scheduler/bench/schedule-cost.ts [--requests 100000] [--rounds 5]
import { argValue } from '@matrixinfer/engine-sim/bench';
import { createScheduler } from '../index.js';
import { endpoint } from '../testing.js';
import type { EndpointView, RequestInfo } from '../types.js';

const N = Number(argValue('requests', '100000'));
const ROUNDS = Number(argValue('rounds', '5'));
const prompts: Record<string, string> = {
  'short prompt (70 chars, 1 block)': 'user: Say hello to the benchmark, in a sentence of moderate length please.',
  '16 KB prompt (256 blocks)': 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(456).slice(0, 16_384),
};

/** Mean ns per request of `n` requests through `run` (a fresh scheduler per measurement). */
async function measure(mode: 'schedule' | 'place', eps: EndpointView[], prompt: string, n: number): Promise<number> {
  const s = await createScheduler('default');
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    // 64 distinct prompts keep the prefix index warm but not trivially single-entry.
    const req: RequestInfo = { requestId: `r${i}`, model: 'bench', headers: {}, promptText: `${i % 64} ${prompt}`, nowMs: i, random: (i % 997) / 997 };
    const r = mode === 'schedule' ? s.schedule(req, eps) : s.place(req, eps);
    s.observe(req, r.candidates[0], { ok: true, status: 200 });
  }
  return Number(process.hrtime.bigint() - t0) / n;
}

console.log(`| prompt | endpoints | schedule() ns | place() ns | place / schedule |`);
console.log(`|---|---|---|---|---|`);
for (const [label, prompt] of Object.entries(prompts)) {
  const n = prompt.length > 1000 ? Math.max(1000, Math.floor(N / 50)) : N;
  for (const count of [1, 4, 8]) {
    const eps = Array.from({ length: count }, (_, i) => endpoint(`e${i}`, { inFlight: i % 3 }));
    await measure('schedule', eps, prompt, Math.min(n, 5000)); // JIT warm-up
    await measure('place', eps, prompt, Math.min(n, 5000));
    let best = { schedule: Infinity, place: Infinity };
    for (let r = 0; r < ROUNDS; r++) {
      for (const mode of r % 2 === 0 ? (['schedule', 'place'] as const) : (['place', 'schedule'] as const)) {
        best = { ...best, [mode]: Math.min(best[mode], await measure(mode, eps, prompt, n)) };
      }
    }
    console.log(`| ${label} | ${count} | ${best.schedule.toFixed(0)} | ${best.place.toFixed(0)} | ${(best.place / best.schedule).toFixed(2)} |`);
  }
}
