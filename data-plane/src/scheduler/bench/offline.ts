// Offline routing-quality check: 4 simulated engine cores in model time (no HTTP, no timers),
// Poisson arrivals, requests routed by a scheduler profile through one or more gateway replicas
// (each its own scheduler; with --share, in-flight counts and prefix placements are shared the
// way the gateway shares them over NATS, through encodePlacement/applyPeerPlacement). A quick sanity check of plugin
// logic on this machine in seconds; the real benchmark is e2e/bench (HTTP, gateways, NATS).
//   node --import tsx data-plane/src/scheduler/bench/offline.ts --profile default --workload shared --rate 150
import { parseArgs } from 'node:util';
import { PROFILES } from '../../sim/config.js';
import { createEngineCore } from '../../sim/engine/core.js';
import { createRng } from '../../sim/engine/rng.js';
import { recordingListener, recordingSink, testRequest } from '../../sim/engine/testing.js';
import { applyPeerPlacement, encodePlacement } from '../placement.js';
import { createPrefixIndex } from '../prefix-index.js';
import { createScheduler, type ConfigurableScheduler } from '../scheduler.js';
import type { EndpointView, RequestInfo } from '../types.js';

const { values: opt } = parseArgs({
  options: {
    profile: { type: 'string', default: 'default' },
    config: { type: 'string' },
    workload: { type: 'string', default: 'shared' },
    rate: { type: 'string', default: '80' },
    requests: { type: 'string', default: '3000' },
    'kv-blocks': { type: 'string', default: '3000' },
    'sample-ms': { type: 'string', default: '500' },
    seed: { type: 'string', default: '42' },
    gateways: { type: 'string', default: '1' },
    share: { type: 'boolean', default: false },
  },
});
const rate = Number(opt.rate);
const total = Number(opt.requests);
const kvBlocks = Number(opt['kv-blocks']);
const sampleMs = Number(opt['sample-ms']);
const workload = opt.workload;
if (!['shared', 'random', 'skewed'].includes(workload)) throw new Error(`unknown workload ${workload}`);

const params = { ...PROFILES['h100-8b'], kvBlocks };
const rng = createRng(Number(opt.seed));
const engines = Array.from({ length: 4 }, (_, i) => {
  const sink = recordingSink();
  return { id: `e${i}`, core: createEngineCore(params, createRng(100 + i), sink), sink, inFlight: 0, waiting: 0, running: 0, kv: 0 };
});
// Gateway replicas: requests are spread over them in turn (as a Service would). Each has its
// own scheduler and in-flight counts; with --share, peers' in-flight counts and placements too.
const gatewayCount = Number(opt.gateways);
const config: unknown = opt.config ? JSON.parse(opt.config) : opt.profile;
const gateways: { id: string; scheduler: ConfigurableScheduler; inFlight: number[] }[] = [];
let now = 0;
for (let g = 0; g < gatewayCount; g++) {
  const id = `gw-${g}`;
  const prefixIndex = createPrefixIndex({
    nowMs: () => now,
    onPlacement: opt.share
      ? (p) => {
        const msg = encodePlacement(id, p);
        for (const peer of gateways) if (peer.id !== id) applyPeerPlacement(peer.scheduler.prefixIndex, msg, peer.id);
      }
      : undefined,
  });
  gateways.push({ id, scheduler: await createScheduler(config, { prefixIndex, now: () => now }), inFlight: engines.map(() => 0) });
}

// Workload 1: 32 groups sharing a 2,000-token system prompt, 100-token questions, 64 output
// tokens; 2: random 500-token prompts; 3: like 1 with one group taking 70% of requests.
const groups = Array.from({ length: 32 }, (_, g) => Array.from({ length: 2000 }, (_, k) => 1000 + ((g * 7919 + k * 31) % 50000)));
const randomTokens = (n: number) => Array.from({ length: n }, () => 1000 + Math.floor(rng.next() * 50000));
const prompt = (): number[] => {
  if (workload === 'random') return randomTokens(500);
  const g = workload === 'skewed' && rng.next() < 0.7 ? 0 : Math.floor(rng.next() * 32);
  return [...groups[g], ...randomTokens(100)];
};
// Four characters per token, so 64-character blocks hold 16 tokens as the engine's blocks do.
const text = (tokens: number[]) => tokens.map((t) => t.toString(36).padStart(4, '0')).join('');

const ttfts: number[] = [];
const e2es: number[] = [];
let nextArrival = 0;
let sent = 0;
let finished = 0;
let lastSample = -Infinity;
while (finished < total) {
  const nextDue = Math.min(...engines.map((e) => e.core.nextDueMs() ?? Infinity));
  if (sent >= total || nextDue < nextArrival) {
    now = nextDue;
    for (const e of engines) e.core.advance(now);
    continue;
  }
  now = nextArrival;
  if (now - lastSample >= sampleMs) {
    for (const e of engines) {
      const s = e.core.snapshot();
      Object.assign(e, { waiting: s.waiting, running: s.running, kv: s.usedBlocks / s.totalBlocks });
    }
    lastSample = now;
  }
  const tokens = prompt();
  const gw = gateways[sent % gatewayCount];
  const views: EndpointView[] = engines.map((e, i) => ({
    id: e.id, address: e.id, modelServer: 'ms', role: 'both', adapters: [], inFlight: opt.share ? e.inFlight : gw.inFlight[i],
    waiting: e.waiting, running: e.running, kvUsage: e.kv, kvBlocks, sampleAgeMs: now - lastSample,
  }));
  const info: RequestInfo = { requestId: `r${sent}`, model: 'm', headers: {}, promptText: text(tokens), nowMs: now, random: rng.next() };
  const picked = gw.scheduler.schedule(info, views).candidates[0];
  const ei = engines.findIndex((e) => e.id === picked.id);
  const engine = engines[ei];
  engine.inFlight++;
  gw.inFlight[ei]++;
  const arrival = now;
  const listener = recordingListener();
  listener.onFinish = (f) => {
    engine.inFlight--;
    gw.inFlight[ei]--;
    finished++;
    if (f.firstTokenMs !== undefined) ttfts.push(f.firstTokenMs - arrival);
    e2es.push(f.finishMs - arrival);
    gw.scheduler.observe(info, picked, { ok: true, status: 200 });
  };
  engine.core.submit(testRequest(info.requestId, tokens, 64), listener, now);
  sent++;
  nextArrival = now - (Math.log(1 - rng.next()) / rate) * 1000;
}

const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];
const hits = engines.reduce((s, e) => s + e.sink.hits, 0) / Math.max(1, engines.reduce((s, e) => s + e.sink.queries, 0));
console.log(
  `${(opt.config ? 'custom' : opt.profile).padEnd(14)} ${workload.padEnd(7)} gateways=${gatewayCount}${opt.share ? '+share' : ''} offered=${rate}/s served=${(total / (now / 1000)).toFixed(1)}/s ` +
  `ttft p50=${q(ttfts, 0.5).toFixed(0)}ms p99=${q(ttfts, 0.99).toFixed(0)}ms e2e p50=${q(e2es, 0.5).toFixed(0)}ms ` +
  `p99=${q(e2es, 0.99).toFixed(0)}ms hit=${(hits * 100).toFixed(0)}% per-endpoint=${engines.map((e) => e.sink.finishedInfos.length).join('/')}`,
);
