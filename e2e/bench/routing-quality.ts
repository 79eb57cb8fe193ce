// Routing-quality benchmark (issue 6): 4 simulator replicas, nats-server, the collector, a
// mi-routes entry and gateway child processes per scheduler profile; a load-generator child
// drives three workloads. Prints the tables, the target checks, and (unless --no-write) writes
// the "Routing quality" section of docs/benchmarks.md and docs/routing-quality.svg.
//   npm run bench:routing -w e2e            (or: node --import tsx e2e/bench/routing-quality.ts)
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCluster, type Cluster } from './routing/cluster.js';
import { checkTargets, markdownTable, spliceSection, svgChart, type Cell } from './routing/report.js';
import { PhaseRunner } from './routing/runner.js';
import { WORKLOAD_NAMES, WORKLOAD_SHAPE, type WorkloadName } from './routing/workloads.js';

const { values: opt } = parseArgs({
  options: {
    profiles: { type: 'string', default: 'round-robin,random,least-request,least-latency,kv-cache,prefix-cache,default' },
    'multi-profiles': { type: 'string', default: 'random,least-request,default' },
    workloads: { type: 'string', default: WORKLOAD_NAMES.join(',') },
    gateways: { type: 'string', default: '1,4' },
    'time-scale': { type: 'string', default: '0.25' },
    'kv-blocks': { type: 'string', default: '3000' },
    'sample-ms': { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '256' },
    'sat-seconds': { type: 'string', default: '3' },
    'sat-warmup-seconds': { type: 'string', default: '1.25' },
    'fixed-seconds': { type: 'string', default: '4' },
    'fixed-warmup-seconds': { type: 'string', default: '1.5' },
    'rate-factor': { type: 'string', default: '0.85' },
    seed: { type: 'string', default: '42' },
    'no-write': { type: 'boolean', default: false },
  },
});
const profiles = opt.profiles.split(',');
const multiProfiles = opt['multi-profiles'].split(',');
const workloads = opt.workloads.split(',') as WorkloadName[];
const gatewayCounts = opt.gateways.split(',').map(Number);
const timeScale = Number(opt['time-scale']);
const seed = Number(opt.seed);
if (!profiles.includes('round-robin')) throw new Error('--profiles must include round-robin: its saturation sets the fixed rate');
for (const w of workloads) if (!WORKLOAD_NAMES.includes(w)) throw new Error(`unknown workload ${w}`);
// Round-robin first: its saturation throughput sets the fixed rate of every profile.
const ordered = ['round-robin', ...profiles.filter((p) => p !== 'round-robin')];
const model = 'bench-llama';
const command = `node --import tsx e2e/bench/routing-quality.ts ${process.argv.slice(2).join(' ')}`.trim();

let cluster: Cluster | undefined;
let runner: PhaseRunner | undefined;
let shuttingDown = false;
async function shutdown(code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    await runner?.killAll().catch(() => undefined);
    await cluster?.close().catch(() => undefined);
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));

const log = (s: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

async function main(): Promise<void> {
  const started = Date.now();
  const load0 = loadavg();
  cluster = await startCluster({ replicas: 4, timeScale, kvBlocks: Number(opt['kv-blocks']), sampleMs: Number(opt['sample-ms']), model });
  runner = new PhaseRunner(cluster);
  log(`cluster up: ${cluster.engines.map((e) => e.url).join(' ')}`);
  const cells: Cell[] = [];
  const fixedRate = new Map<WorkloadName, number>();
  let salt = 1;
  for (const g of gatewayCounts) {
    const list = g === 1 ? ordered : ordered.filter((p) => multiProfiles.includes(p) || (p === 'round-robin' && !fixedRate.size));
    for (const profile of list) {
      const urls = await cluster.startGateways(g, profile);
      for (const workload of workloads) {
        const base = { urls, model, workload, seed, timeScale };
        const saturation = await runner.run({ ...base, mode: 'closed', salt: salt++, concurrency: Number(opt.concurrency), durationS: Number(opt['sat-seconds']), warmupS: Number(opt['sat-warmup-seconds']) }, 300_000);
        if (!fixedRate.has(workload)) fixedRate.set(workload, Math.max(1, Math.round((saturation.throughput ?? 1) * Number(opt['rate-factor']))));
        const rate = fixedRate.get(workload)!;
        const fixed = await runner.run({ ...base, mode: 'open', salt: salt++, rate, requests: Math.round(rate * Number(opt['fixed-seconds'])), warmupRequests: Math.round(rate * Number(opt['fixed-warmup-seconds'])) }, 300_000);
        cells.push({ gateways: g, profile, workload, rate, saturation, fixed });
        log(`${g} gw ${profile} ${workload}: sat ${saturation.throughput?.toFixed(1)} req/s (hit ${(saturation.hitRate * 100).toFixed(0)}%), @${rate}: TTFT p50 ${fixed.ttftP50.toFixed(0)} p99 ${fixed.ttftP99.toFixed(0)} e2e p50 ${fixed.e2eP50.toFixed(0)} p99 ${fixed.e2eP99.toFixed(0)} hit ${(fixed.hitRate * 100).toFixed(0)}% failed ${saturation.failed + fixed.failed} (${saturation.wallS.toFixed(1)}+${fixed.wallS.toFixed(1)} s)`);
      }
      await cluster.stopGateways();
    }
  }
  const load1 = loadavg();
  const minutes = (Date.now() - started) / 60_000;

  const sections: string[] = [];
  for (const g of gatewayCounts) {
    for (const w of workloads) {
      const rows = cells.filter((c) => c.gateways === g && c.workload === w);
      if (rows.length) sections.push(`### ${w}, ${g} gateway${g > 1 ? 's' : ''} (fixed rate ${fixedRate.get(w)} req/s)\n\n${markdownTable(rows)}`);
    }
  }
  const checks = checkTargets(cells);
  const checkText = checks.map((c) => `- ${c.pass ? 'PASS' : 'MISS'} (${c.gateways} gateway${c.gateways > 1 ? 's' : ''}) ${c.text}`).join('\n');
  process.stdout.write(`\n${sections.join('\n\n')}\n\nTargets (default profile):\n${checkText}\n`);

  if (opt['no-write']) return;
  const s = WORKLOAD_SHAPE;
  const doc = `## Routing quality

Command (repo root; \`npm run bench:routing -w e2e\` runs the same with the defaults):

    ${command}

Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; shared with other
work: load average ${load0.map((x) => x.toFixed(1)).join(' / ')} at start, ${load1.map((x) => x.toFixed(1)).join(' / ')} at the end; run took ${minutes.toFixed(1)} min
(${new Date().toISOString().slice(0, 16)}Z).

Setup: 4 \`mi-engine-sim\` processes (profile h100-8b, \`--time-scale ${timeScale}\`, \`--kv-blocks ${opt['kv-blocks']}\` of 16
tokens each: workload 1's 32 × ${s.systemTokens}-token prefixes need 4,000 blocks, more than one replica holds, a quarter of
what four hold), nats-server, the control plane's collector scraping them every ${opt['sample-ms']} ms into MI_METRICS, one
mi-routes entry listing the 4 endpoints, and \`mi-gateway --scheduler <profile>\` child processes; a
separate load-generator process sends \`/v1/completions\` with \`max_tokens: ${s.outputTokens}, ignore_eos: true\`
(requests spread round-robin over the gateways). Prompts are sized in the simulator's tokens
(one-token words, checked with simTokenize); each run uses fresh texts so no cache carries over.

Workloads: **shared** = ${s.groups} groups, ${s.systemTokens}-token system prompt + ${s.questionTokens}-token question; **random** =
${s.randomTokens} random tokens; **skewed** = shared with one group taking ${s.hotShare * 100}% of requests.

How measured (all times and rates in model time):
- **sat. req/s** (saturation throughput): closed loop, ${opt.concurrency} concurrent non-streaming clients for
  ${opt['sat-seconds']} s; requests finished after the first ${opt['sat-warmup-seconds']} s, per second. Clients still waiting at the end are
  cancelled. "hit @sat" is the engines' prefix-cache hit rate in that phase.
- **rate**: fixed Poisson rate = ${opt['rate-factor']} × round-robin's saturation throughput on that workload (1 gateway),
  streaming, for ${opt['fixed-seconds']} s (rate × ${opt['fixed-seconds']} requests), seed ${seed}; requests of the first ${opt['fixed-warmup-seconds']} s warm the caches and
  are left out of the quantiles (the engine hit rate covers the whole phase). **TTFT** = client wall time to the first body chunk (first token
  event) × time-scale; **e2e** = to the last byte × time-scale; p50/p99 by nearest rank. Both include the
  gateway and loopback HTTP. **engine TTFT** = from the engines' \`vllm:time_to_first_token_seconds\`
  histograms over the whole phase, warm-up included (interpolated inside buckets, so coarse). **hit** = Δ\`vllm:prefix_cache_hits_total\` /
  Δ\`vllm:prefix_cache_queries_total\` over the phase (tokens), all engines. ms unless stated.

${sections.join('\n\n')}

Targets for the default profile (issue 6), from the tables above:

${checkText}

![routing quality](routing-quality.svg)
`;
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const docPath = `${root}docs/benchmarks.md`;
  writeFileSync(docPath, spliceSection(readFileSync(docPath, 'utf8'), doc));
  writeFileSync(`${root}docs/routing-quality.svg`, svgChart(cells, ordered, workloads, `Routing quality, 1 gateway, 4 simulated H100 replicas (time-scale ${timeScale})`));
  log(`wrote ${docPath} and docs/routing-quality.svg`);
}

main().then(() => shutdown(0), (err: unknown) => {
  log(`routing-quality: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  return shutdown(1);
});
