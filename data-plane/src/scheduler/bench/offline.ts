// Offline routing-quality check: 4 simulated engine cores in model time (no HTTP, no timers),
// Poisson arrivals, requests routed by a scheduler profile through one or more gateway replicas
// (each its own scheduler; with --share, in-flight counts and prefix placements are shared the
// way the gateway shares them over NATS, through encodePlacement/applyPeerPlacement). A quick sanity check of plugin
// logic on this machine in seconds; the real benchmark is e2e/bench (HTTP, gateways, NATS).
//   node --import tsx data-plane/src/scheduler/bench/offline.ts --profile default --workload shared --rate 150
import { parseArgs } from 'node:util';
import { createEngineCore, createRng, PROFILES, recordingListener, recordingSink, testRequest } from '@matrixinfer/engine-sim/engine';
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
    // Sharing lags as over NATS (model ms): placements reach peers this much later, in-flight
    // counts are published every period (0: at once, exact).
    'placement-delay-ms': { type: 'string', default: '0' },
    'inflight-period-ms': { type: 'string', default: '0' },
    // Closed loop (instead of Poisson): N clients back to back for duration-ms, starting spread
    // over ramp-ms; throughput = generated tokens in [warmup-ms, duration-ms] / 64 per second.
    closed: { type: 'string' },
    'duration-ms': { type: 'string', default: '4000' },
    'warmup-ms': { type: 'string', default: '1500' },
    'ramp-ms': { type: 'string', default: '0' },
  },
});
const placementDelayMs = Number(opt['placement-delay-ms']);
const inflightPeriodMs = Number(opt['inflight-period-ms']);
const closedClients = opt.closed === undefined ? 0 : Number(opt.closed);
const durationMs = Number(opt['duration-ms']);
const warmupMs = Number(opt['warmup-ms']);
const rampMs = Number(opt['ramp-ms']);
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
const gateways: { id: string; scheduler: ConfigurableScheduler; inFlight: number[]; published: number[] }[] = [];
let now = 0;
// Deliveries of peers' placements, due at a model time (kept sorted by due time).
const deliveries: { at: number; apply: () => void }[] = [];
const deliver = (at: number, apply: () => void): void => {
  let i = deliveries.length;
  while (i > 0 && deliveries[i - 1].at > at) i--;
  deliveries.splice(i, 0, { at, apply });
};
for (let g = 0; g < gatewayCount; g++) {
  const id = `gw-${g}`;
  const prefixIndex = createPrefixIndex({
    nowMs: () => now,
    onPlacement: opt.share
      ? (p) => {
        const msg = encodePlacement(id, p);
        for (const peer of gateways) {
          if (peer.id === id) continue;
          if (placementDelayMs > 0) deliver(now + placementDelayMs, () => applyPeerPlacement(peer.scheduler.prefixIndex, msg, peer.id));
          else applyPeerPlacement(peer.scheduler.prefixIndex, msg, peer.id);
        }
      }
      : undefined,
  });
  gateways.push({ id, scheduler: await createScheduler(config, { prefixIndex, now: () => now }), inFlight: engines.map(() => 0), published: engines.map(() => 0) });
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
// Arrival times still to come, sorted (Poisson: one at a time; closed loop: one per client).
const arrivals: number[] = [];
const arrive = (at: number): void => {
  let i = arrivals.length;
  while (i > 0 && arrivals[i - 1] > at) i--;
  arrivals.splice(i, 0, at);
};
if (closedClients > 0) for (let c = 0; c < closedClients; c++) arrive((c / closedClients) * rampMs);
else arrive(0);
let sent = 0;
let finished = 0;
let lastSample = -Infinity;
let lastPublish = -Infinity;
const generated = (): number => engines.reduce((s, e) => s + e.sink.generated, 0);
let generatedAtWarmup = -1;
const open = closedClients === 0;
const more = (): boolean => (open ? sent < total : now < durationMs);

for (;;) {
  const nextDue = Math.min(...engines.map((e) => e.core.nextDueMs() ?? Infinity));
  const nextArrival = more() && arrivals.length ? arrivals[0] : Infinity;
  const nextDelivery = deliveries.length ? deliveries[0].at : Infinity;
  const nextEdge = !open && generatedAtWarmup < 0 ? warmupMs : !open && now < durationMs ? durationMs : Infinity;
  const t = Math.min(nextDue, nextArrival, nextDelivery, nextEdge);
  if (t === Infinity) break;
  if (!open && t >= durationMs && now < durationMs) {
    // End of the closed-loop window: the work done in it is what counts; stop here.
    for (const e of engines) e.core.advance(durationMs);
    now = durationMs;
    break;
  }
  now = t;
  if (t === nextDue) {
    for (const e of engines) e.core.advance(now);
    continue;
  }
  if (t === nextDelivery) {
    deliveries.shift()!.apply();
    continue;
  }
  if (t === nextEdge) {
    for (const e of engines) e.core.advance(now);
    generatedAtWarmup = generated();
    continue;
  }
  arrivals.shift();
  if (now - lastSample >= sampleMs) {
    for (const e of engines) {
      const s = e.core.snapshot();
      Object.assign(e, { waiting: s.waiting, running: s.running, kv: s.usedBlocks / s.totalBlocks });
    }
    lastSample = now;
  }
  if (inflightPeriodMs > 0 && now - lastPublish >= inflightPeriodMs) {
    for (const g of gateways) g.published = [...g.inFlight];
    lastPublish = now;
  }
  const tokens = prompt();
  const gw = gateways[sent % gatewayCount];
  const inFlightSeen = (i: number): number => {
    if (!opt.share) return gw.inFlight[i];
    if (inflightPeriodMs <= 0) return engines[i].inFlight;
    return gateways.reduce((s, g) => s + (g === gw ? g.inFlight[i] : g.published[i]), 0);
  };
  const views: EndpointView[] = engines.map((e, i) => ({
    id: e.id, address: e.id, modelServer: 'ms', role: 'both', adapters: [], inFlight: inFlightSeen(i),
    waiting: e.waiting, running: e.running, kvUsage: e.kv, kvBlocks, sampleAgeMs: now - lastSample,
  }));
  const info: RequestInfo = { requestId: `r${sent}`, model: 'm', headers: {}, promptText: text(tokens), nowMs: now, random: rng.next() };
  const picked = gw.scheduler.place(info, views).candidates[0];
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
    if (!open) arrive(f.finishMs);
  };
  engine.core.submit(testRequest(info.requestId, tokens, 64), listener, now);
  sent++;
  if (open) arrive(now - (Math.log(1 - rng.next()) / rate) * 1000);
}

const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];
const hits = engines.reduce((s, e) => s + e.sink.hits, 0) / Math.max(1, engines.reduce((s, e) => s + e.sink.queries, 0));
const served = open
  ? `offered=${rate}/s served=${(total / (now / 1000)).toFixed(1)}/s`
  : `closed=${closedClients} throughput=${((generated() - generatedAtWarmup) / 64 / ((durationMs - warmupMs) / 1000)).toFixed(1)}/s done=${finished}`;
console.log(
  `${(opt.config ? 'custom' : opt.profile).padEnd(14)} ${workload.padEnd(7)} gateways=${gatewayCount}${opt.share ? '+share' : ''} ${served} ` +
  `ttft p50=${q(ttfts, 0.5).toFixed(0)}ms p99=${q(ttfts, 0.99).toFixed(0)}ms e2e p50=${q(e2es, 0.5).toFixed(0)}ms ` +
  `p99=${q(e2es, 0.99).toFixed(0)}ms hit=${(hits * 100).toFixed(0)}% per-endpoint=${engines.map((e) => e.sink.finishedInfos.length).join('/')}`,
);
