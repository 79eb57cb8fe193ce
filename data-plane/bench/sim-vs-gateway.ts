// Is the simulator ever the bottleneck of the gateway benchmarks? One run measures the gateway
// overhead benchmark's load (POST /v1/chat/completions, max_tokens 16, non-streaming and streaming
// with include_usage, closed loop at --concurrency, bench/gateway-loadgen.ts in its own process)
// straight to one simulator and through one gateway process in front of that simulator. It
// prints simulator req/s / gateway req/s (target >= 2) and the CPU microseconds per request of
// each process, from /proc/<pid>/stat (100 Hz ticks) around each measured run.
//
// Every party is its own process: nats-server, the simulator (zero modelled latency, time-scale
// 1000, `--model bench`), the gateway (`src/gateway/main.ts --log-level off`, route put in NATS
// KV as bench/gateway-overhead.ts does) and the load generator. On a 2-core box they share the
// cores, so req/s are what this machine gives with the load generator competing; the CPU per
// request of each process is the steadier figure (capacity with a core of its own = 1e6 / µs).
//
// `--baseline DIR` also starts the simulator of another checkout (DIR = its engine-sim folder, or
// its data-plane folder before the simulator had its own workspace; e.g. an exported older
// commit) and measures it straight, alternating with this tree's, so a before/after comparison
// comes from one run on the same machine state. This tree's simulator is the engine-sim
// workspace's bin (`@matrixinfer/engine-sim/bench`).
//
// `--rate R` replaces the closed loop with an open loop of R requests/s: every target then serves
// the same load, so CPU per request compares at equal batching (a closed loop gives a faster
// process more requests per event-loop turn, which lowers its cost per request).
//
// Usage (from data-plane/): node --import tsx bench/sim-vs-gateway.ts [--duration 5] [--rounds 1] [--concurrency 64 | --rate R]
//   [--baseline DIR]      (compare with the simulator in DIR/bin/mi-engine-sim.js)
//   [--direct-only]       (skip the gateway runs)
//   [--mode json|stream]  (only that mode; default both)
//   [--sim-cpu-prof DIR]  (profile this tree's simulator child over the whole run)
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '@matrixinfer/events/testing';
import { modelEntry, putRoute, routesBucket, server } from '../src/gateway/testing.js';
import { runTsJson, startTsChild, until, type Child } from './gateway-bench-util.js';
import { argValue, cpuSeconds, loadAverage, machineJiffies, startSimChild, ZERO_LATENCY_ARGS, type SimChild } from '@matrixinfer/engine-sim/bench';

interface LoadResult {
  requests: number;
  /** Seconds the load ran (the load generator's start-up excluded). */
  elapsedS: number;
  errors: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

type TargetName = 'simulator' | 'baseline' | 'gateway';
const LABEL: Record<TargetName, string> = { simulator: 'simulator direct', baseline: 'baseline simulator direct', gateway: 'gateway -> simulator' };

interface Row extends LoadResult {
  target: TargetName;
  stream: boolean;
  /** CPU µs per answered request of the simulator that served it (this tree's or the baseline's). */
  simUsPerReq: number;
  gwUsPerReq: number;
  simCpuPct: number;
  gwCpuPct: number;
  /** Whole machine busy over the run, % of one core (2 cores = 200): the load generator and anything else running. */
  machinePct: number;
}

const DURATION = argValue('duration', '5');
const ROUNDS = Number(argValue('rounds', '1'));
const CONCURRENCY = argValue('concurrency', '64');
const RATE = argValue('rate', '');
const LOAD = RATE ? ['--rate', RATE] : ['--concurrency', CONCURRENCY];
const PROF_DIR = argValue('sim-cpu-prof', '');
const BASELINE = argValue('baseline', '');
const DIRECT_ONLY = process.argv.includes('--direct-only');
const MODE = argValue('mode', 'both');
const STREAM_MODES = MODE === 'json' ? [false] : MODE === 'stream' ? [true] : [false, true];
const CORES = machineJiffies().cores;
const SIM_ARGS = [...ZERO_LATENCY_ARGS, '--model', 'bench'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const loadBefore = loadAverage();
const nats = await startNatsServer();
const sims: SimChild[] = [];
let gw: Child | undefined;
try {
  const sim = await startSimChild(SIM_ARGS, PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROF_DIR] : []);
  sims.push(sim);
  const targets: Array<{ name: TargetName; url: string; simPid: number }> = [{ name: 'simulator', url: sim.url, simPid: sim.pid }];
  if (BASELINE) {
    const base = await startSimChild(SIM_ARGS, [], join(BASELINE, 'bin/mi-engine-sim.js'));
    sims.push(base);
    targets.push({ name: 'baseline', url: base.url, simPid: base.pid });
  }
  let gwPid = -1;
  if (!DIRECT_ONLY) {
    const nc = await connect({ servers: nats.url });
    await putRoute(await routesBucket(nc), modelEntry('bench', [server('bench-sim', [{ id: 'sim-0', url: sim.url }])]));
    await nc.close();
    gw = await startTsChild('src/gateway/main.ts', ['--port', '0', '--nats-url', nats.url, '--name', 'bench-sim-gw', '--log-level', 'off', '--workers', '1']);
    const gwUrl = String(gw.info.url);
    await until('gateway routes bench', async () => (await (await fetch(`${gwUrl}/v1/models`)).text()).includes('"bench"'));
    gwPid = gw.proc.pid!;
    targets.push({ name: 'gateway', url: gwUrl, simPid: sim.pid });
  }

  const rows: Row[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const stream of STREAM_MODES) {
      // Rotate the order every round so no target always follows the same neighbour's tail.
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const t of order) {
        const base = ['--url', t.url, '--model', 'bench', ...(stream ? ['--stream'] : [])];
        await runTsJson<LoadResult>('bench/gateway-loadgen.ts', [...base, '--concurrency', '16', '--duration', '1']); // warm-up
        const sim0 = cpuSeconds(t.simPid);
        const gw0 = cpuSeconds(gwPid);
        const m0 = machineJiffies();
        const t0 = performance.now();
        // --warmup 0: a load generator that warms up by itself would put unrecorded requests in the CPU window.
        const r = await runTsJson<LoadResult>('bench/gateway-loadgen.ts', [...base, ...LOAD, '--duration', DURATION, '--warmup', '0']);
        // The machine-wide figure spans the load generator's start-up too; the per-process CPU % use the
        // load's own duration (the simulator and gateway idle while the generator starts).
        const wall = (performance.now() - t0) / 1000;
        const loadS = r.elapsedS > 0 ? r.elapsedS : wall;
        const simCpu = cpuSeconds(t.simPid) - sim0;
        const gwCpu = cpuSeconds(gwPid) - gw0;
        const m1 = machineJiffies();
        const n = Math.max(1, r.requests);
        const row: Row = {
          target: t.name, stream, requests: r.requests, errors: r.errors, elapsedS: r.elapsedS, rps: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms,
          simUsPerReq: (simCpu * 1e6) / n, gwUsPerReq: (gwCpu * 1e6) / n,
          simCpuPct: (100 * simCpu) / loadS, gwCpuPct: (100 * gwCpu) / loadS,
          machinePct: (100 * CORES * (m1.busy - m0.busy)) / Math.max(1, m1.total - m0.total),
        };
        rows.push(row);
        process.stderr.write(`round ${round} ${JSON.stringify(row)}\n`);
      }
    }
  }

  const pick = (target: TargetName, stream: boolean) => {
    const same = rows.filter((r) => r.target === target && r.stream === stream);
    const m = (k: keyof Row): number => median(same.map((r) => r[k] as number));
    return { rps: m('rps'), p50: m('p50Ms'), p99: m('p99Ms'), errors: same.reduce((a, r) => a + r.errors, 0),
      simUs: m('simUsPerReq'), gwUs: m('gwUsPerReq'), simPct: m('simCpuPct'), gwPct: m('gwCpuPct'), machinePct: m('machinePct') };
  };
  const f0 = (x: number): string => x.toFixed(0);
  const out: string[] = [
    `simulator vs gateway: POST /v1/chat/completions, max_tokens 16, ${RATE ? `open loop at ${RATE} requests/s` : `concurrency ${CONCURRENCY}`},`
      + ` ${DURATION} s per run, median of ${ROUNDS} round(s)`,
    '',
    '| mode | target | req/s | p50 ms | p99 ms | errors | simulator CPU µs/req | gateway CPU µs/req | simulator CPU % | gateway CPU % | machine busy % |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const stream of STREAM_MODES) {
    for (const t of targets) {
      const p = pick(t.name, stream);
      const g = t.name === 'gateway';
      out.push(`| ${stream ? 'stream' : 'json'} | ${LABEL[t.name]} | ${f0(p.rps)} | ${p.p50.toFixed(2)} | ${p.p99.toFixed(2)} | ${p.errors} | `
        + `${f0(p.simUs)} | ${g ? f0(p.gwUs) : '-'} | ${f0(p.simPct)} | ${g ? f0(p.gwPct) : '-'} | ${f0(p.machinePct)} |`);
    }
  }
  out.push('');
  for (const stream of STREAM_MODES) {
    const mode = stream ? 'stream (include_usage)' : 'json';
    const s = pick('simulator', stream);
    if (!DIRECT_ONLY) {
      const g = pick('gateway', stream);
      if (!RATE) out.push(`${mode}: simulator req/s / gateway req/s = ${(s.rps / g.rps).toFixed(2)} (target >= 2)`);
      out.push(`${mode}: CPU per request: simulator ${f0(s.simUs)} µs direct, ${f0(g.simUs)} µs behind the gateway; gateway ${f0(g.gwUs)} µs;`
        + ` gateway µs / simulator µs (direct) = ${(g.gwUs / s.simUs).toFixed(2)} (how many times the simulator outruns the gateway with one core each)`);
    }
    if (BASELINE) {
      const b = pick('baseline', stream);
      out.push(`${mode}: simulator CPU µs/req this tree ${f0(s.simUs)} vs baseline ${f0(b.simUs)}: ${f0((100 * (s.simUs - b.simUs)) / b.simUs)}%`
        + `; req/s ${f0(s.rps)} vs ${f0(b.rps)}`);
    }
  }
  out.push('');
  out.push(`How measured: ${RATE ? 'open-loop' : 'closed-loop'} load from bench/gateway-loadgen.ts (its own process, undici Pool, one request in flight per`);
  out.push('connection); req/s counts complete, valid responses; CPU = utime+stime deltas of each process over the measured run');
  out.push('divided by the requests it answered. CPU % are of one core; "machine busy" is every process on the machine');
  out.push(`(${CORES} cores = ${CORES * 100}%), i.e. the load generator and anything else running. All processes share the cores, so the`);
  out.push('req/s ratio moves with the load; the µs/request figures do much less.');
  out.push(`load average before: ${loadBefore}; after: ${loadAverage()}`);
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  await gw?.stop();
  for (const s of sims) await s.stop();
  await nats.close();
}
