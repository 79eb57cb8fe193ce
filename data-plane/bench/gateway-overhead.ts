// Gateway overhead benchmark: the same load straight to a zero-latency upstream, through the
// gateway (undici and node:http upstream clients), and through nginx (1 worker, keep-alive
// upstream) as the reference. Non-streaming and streaming; fixed 500 requests/s and fixed
// concurrency (64 non-streaming, 32 streaming). Every party runs in its own process.
// The upstream is the engine simulator with zero latencies (`--upstream sim`, the default, as the
// gateway issue specifies) or a minimal node:http server that does nothing but answer
// (`--upstream minimal`: cheaper than any engine, so the gateway's share of the CPU is larger).
// Usage (from data-plane/): node --import tsx bench/gateway-overhead.ts [--duration 5] [--rate 500]
//   [--rounds 1] [--upstream sim|minimal] [--clients undici,http] [--modes json,stream] [--no-nginx]
//   [--no-relay]      skip the references: bench/tcp-relay.ts (copies bytes, parses nothing: the
//                     ceiling of any proxy) and bench/bare-proxy.ts (node:http + undici and nothing
//                     else: the ceiling of a proxy built on the gateway's parts)
//   [--loadgen node|wrk]  closed-loop rows from the Node.js generator (default) or from wrk (C,
//                     Debian package): ours costs as much CPU as the upstream and competes with
//                     every target for the two cores; wrk costs a fraction (wrk-load.ts)
//   [--features]      also measure the cost of the live-serving guards: one gateway with the
//                     stream-idle timeout off serving a route without an output limit
//                     (features-off), against one with the timeout on (30 s) serving a route
//                     whose output-token limit meters every stream (features-on); outlier
//                     bookkeeping runs in both (it cannot be turned off)
//   [--tracing]       also measure request tracing: one gateway exporting every request's spans
//                     (--otlp-endpoint to a collector in this process that accepts and discards
//                     them; no client traceparent, so every request starts a trace) against the
//                     same gateway without an endpoint (tracing-off: no trace objects at all)
//   [--baseline DIR]  also measure the gateway of another checkout (A/B of a hot-path change:
//                     `git worktree add DIR REV && ln -s $PWD/../node_modules DIR/node_modules`)
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '@matrixinfer/events/testing';
import { modelEntry, putRoute, routesBucket, server } from '../src/gateway/testing.js';
import { freePort, runTsJson, startSimChild, startTsChild, stopProc, until, type Child, type LoadResult } from './gateway-bench-util.js';
import { requireWrk, runWrk, writeWrkScript } from './wrk-load.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}
const DURATION = arg('duration', '5');
const RATE = arg('rate', '500');
/** Rounds over the whole matrix; each figure is the median over rounds (the machine is shared, load comes in bursts). */
const ROUNDS = Number(arg('rounds', '1'));
/** Subsets for quick comparisons while working on the hot path (the full matrix is the default). */
const CLIENTS = arg('clients', 'undici,http').split(',');
const MODES = arg('modes', 'json,stream').split(',');
const WITH_NGINX = !process.argv.includes('--no-nginx');
const WITH_RELAY = !process.argv.includes('--no-relay');
const LOADGEN = arg('loadgen', 'node');
if (LOADGEN !== 'node' && LOADGEN !== 'wrk') throw new Error(`--loadgen must be node or wrk, not ${LOADGEN}`);
if (LOADGEN === 'wrk') requireWrk();
const UPSTREAM = arg('upstream', 'sim');
const BASELINE = arg('baseline', '');
const FEATURES = process.argv.includes('--features');
const TRACING = process.argv.includes('--tracing');
if (UPSTREAM !== 'sim' && UPSTREAM !== 'minimal') throw new Error(`--upstream must be sim or minimal, not ${UPSTREAM}`);
for (const m of MODES) if (m !== 'json' && m !== 'stream') throw new Error(`--modes takes json,stream, not ${m}`);
for (const c of CLIENTS) if (c !== 'undici' && c !== 'http') throw new Error(`--clients takes undici,http, not ${c}`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function nginxConf(dir: string, listen: number, upstreamPort: number): string {
  return `worker_processes 1;
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream engine { server 127.0.0.1:${upstreamPort}; keepalive 256; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${listen};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://engine;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`;
}

/** The nginx worker: the master's only child. */
function nginxWorker(masterPid: number): number {
  const kids = readFileSync(`/proc/${masterPid}/task/${masterPid}/children`, 'utf8').trim().split(/\s+/);
  return Number(kids[0]);
}

// Each gateway measured here is one process (its pid is the one charged for CPU): no cluster
// primary. The env also reaches a --baseline checkout, which may predate --workers.
process.env.MI_GATEWAY_WORKERS = '1';
const nats = await startNatsServer();
const children: Child[] = [];
const dir = mkdtempSync(join(tmpdir(), 'mi-bench-nginx-'));
let nginx: ReturnType<typeof spawn> | null = null;
let collector: http.Server | null = null;
let spansPosted = 0;
try {
  const upstream = UPSTREAM === 'sim' ? await startSimChild('bench') : await startTsChild('bench/gateway-upstream.ts', []);
  children.push(upstream);
  const upstreamUrl = String(upstream.info.url);
  const nc = await connect({ servers: nats.url });
  const kv = await routesBucket(nc);
  await putRoute(kv, modelEntry('bench', [server('bench-srv', [{ id: 'up-0', url: upstreamUrl }])]));
  // A limit no run reaches: every stream is metered, none is refused.
  if (FEATURES) await putRoute(kv, modelEntry('bench-guarded', [server('bench-guarded-srv', [{ id: 'up-0', url: upstreamUrl }])], undefined, { rateLimit: { outputTokensPerUnit: 1e12, unit: 'second' } }));
  await nc.close();

  // CPU is charged to the proxy process of each target (the upstream itself for `direct`).
  const targets: Array<{ name: string; url: string; pid: number; model?: string }> = [{ name: 'direct', url: upstreamUrl, pid: upstream.proc.pid! }];
  for (const client of CLIENTS) {
    const gw = await startTsChild('src/gateway/main.ts', ['--port', '0', '--workers', '1', '--nats-url', nats.url, '--name', `bench-${client}`, '--log-level', 'off', '--upstream', client]);
    children.push(gw);
    const url = String(gw.info.url);
    await until(`gateway ${client} routes bench`, async () => (await (await fetch(`${url}/v1/models`)).text()).includes('"bench"'));
    targets.push({ name: `gateway(${client})`, url, pid: gw.proc.pid! });
  }
  if (FEATURES) {
    const on = await startTsChild('src/gateway/main.ts', ['--port', '0', '--workers', '1', '--nats-url', nats.url, '--name', 'bench-features-on', '--log-level', 'off']);
    const off = await startTsChild('src/gateway/main.ts', ['--port', '0', '--workers', '1', '--nats-url', nats.url, '--name', 'bench-features-off', '--log-level', 'off', '--stream-idle-timeout-ms', '0']);
    children.push(on, off);
    await until('features-on gateway routes bench-guarded', async () => (await (await fetch(`${String(on.info.url)}/v1/models`)).text()).includes('"bench-guarded"'));
    await until('features-off gateway routes bench', async () => (await (await fetch(`${String(off.info.url)}/v1/models`)).text()).includes('"bench"'));
    targets.push({ name: 'gateway(features-on)', url: String(on.info.url), pid: on.proc.pid!, model: 'bench-guarded' });
    targets.push({ name: 'gateway(features-off)', url: String(off.info.url), pid: off.proc.pid! });
  }
  if (TRACING) {
    collector = http.createServer((req, res) => {
      let n = 0;
      req.on('data', (b: Buffer) => (n += b.length));
      req.on('end', () => {
        spansPosted += n > 0 ? 1 : 0;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector!.listen(0, '127.0.0.1', r));
    const otlp = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;
    const on = await startTsChild('src/gateway/main.ts', ['--port', '0', '--workers', '1', '--nats-url', nats.url, '--name', 'bench-tracing-on', '--log-level', 'off', '--otlp-endpoint', otlp]);
    const off = await startTsChild('src/gateway/main.ts', ['--port', '0', '--workers', '1', '--nats-url', nats.url, '--name', 'bench-tracing-off', '--log-level', 'off']);
    children.push(on, off);
    for (const g of [on, off]) await until('tracing gateway routes bench', async () => (await (await fetch(`${String(g.info.url)}/v1/models`)).text()).includes('"bench"'));
    targets.push({ name: 'gateway(tracing-on)', url: String(on.info.url), pid: on.proc.pid! });
    targets.push({ name: 'gateway(tracing-off)', url: String(off.info.url), pid: off.proc.pid! });
  }
  if (BASELINE !== '') {
    const main = join(BASELINE, 'data-plane', 'src', 'gateway', 'main.ts');
    // A checkout with --workers must run one in-process worker: the CPU measured is this pid's.
    const workers = readFileSync(main, 'utf8').includes('--workers') ? ['--workers', '1'] : [];
    const gw = await startTsChild(main, ['--port', '0', ...workers, '--nats-url', nats.url, '--name', 'bench-baseline', '--log-level', 'off', '--upstream', 'undici']);
    children.push(gw);
    const url = String(gw.info.url);
    await until('baseline gateway routes bench', async () => (await (await fetch(`${url}/v1/models`)).text()).includes('"bench"'));
    targets.push({ name: 'baseline(undici)', url, pid: gw.proc.pid! });
  }
  if (WITH_RELAY) {
    const relay = await startTsChild('bench/tcp-relay.ts', ['--upstream', upstreamUrl]);
    children.push(relay);
    targets.push({ name: 'tcp-relay', url: String(relay.info.url), pid: relay.proc.pid! });
    const bare = await startTsChild('bench/bare-proxy.ts', ['--upstream', upstreamUrl]);
    children.push(bare);
    targets.push({ name: 'bare-node-proxy', url: String(bare.info.url), pid: bare.proc.pid! });
  }
  if (WITH_NGINX) {
    const nginxPort = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, nginxPort, Number(new URL(upstreamUrl).port)));
    nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'error.log')], { stdio: 'ignore' });
    const nginxUrl = `http://127.0.0.1:${nginxPort}`;
    await until('nginx', async () => (await fetch(`${nginxUrl}/v1/models`)).ok);
    targets.push({ name: 'nginx', url: nginxUrl, pid: nginxWorker(nginx.pid!) });
  }
  const modes = [false, true].filter((stream) => MODES.includes(stream ? 'stream' : 'json'));
  // A fresh process runs its first thousands of requests unoptimised (lazy compilation, JIT):
  // every target serves both modes for a while before anything is measured.
  for (const t of targets) {
    for (const stream of [false, true]) {
      await runTsJson<LoadResult>('bench/gateway-loadgen.ts', ['--url', t.url, '--model', t.model ?? 'bench', ...(stream ? ['--stream'] : []), '--concurrency', '16', '--duration', '2', '--warmup', '0']);
    }
  }

  type Row = { target: string; stream: boolean; load: string; cpuUsPerReq: number } & LoadResult;
  const runs: Row[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const stream of modes) {
      const conc = stream ? '32' : '64';
      // Rotate the order every round so no target always runs right after the same neighbour.
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const t of order) {
        const base = ['--url', t.url, '--model', t.model ?? 'bench', ...(stream ? ['--stream'] : [])];
        for (const load of [
          ['--rate', RATE],
          ['--concurrency', conc],
        ]) {
          const r =
            LOADGEN === 'wrk' && load[0] === '--concurrency'
              ? await runWrk(t.url, writeWrkScript(dir, t.model ?? 'bench', stream), Number(conc), Number(DURATION), t.pid)
              : await runTsJson<LoadResult>('bench/gateway-loadgen.ts', [...base, ...load, '--duration', DURATION, '--cpu-pid', String(t.pid)]);
          const cpuUsPerReq = (r.targetCpuMs * 1000) / Math.max(1, r.requests + r.errors);
          const row = { target: t.name, stream, load: `${load[0].slice(2)}=${load[1]}`, cpuUsPerReq, ...r };
          runs.push(row);
          process.stderr.write(`round ${round} ${JSON.stringify(row)}\n`);
        }
      }
    }
  }
  // Median of every figure over the rounds, per (target, mode, load).
  const results: Row[] = [];
  for (const stream of modes) {
    for (const t of targets) {
      for (const load of [`rate=${RATE}`, `concurrency=${stream ? 32 : 64}`]) {
        const same = runs.filter((r) => r.target === t.name && r.stream === stream && r.load === load);
        const m = (k: keyof LoadResult | 'cpuUsPerReq') => median(same.map((r) => r[k]));
        results.push({ target: t.name, stream, load, cpuUsPerReq: m('cpuUsPerReq'), requests: m('requests'), errors: same.reduce((a, r) => a + r.errors, 0), rps: m('rps'), p50Ms: m('p50Ms'), p90Ms: m('p90Ms'), p99Ms: m('p99Ms'), meanMs: m('meanMs'), targetCpuMs: m('targetCpuMs') });
      }
    }
  }

  const f = (x: number): string => x.toFixed(2);
  console.log(`\nupstream: ${UPSTREAM === 'sim' ? 'mi-engine-sim, zero latencies' : 'minimal node:http server'}; closed-loop load: ${LOADGEN === 'wrk' ? 'wrk' : 'gateway-loadgen.ts'}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  console.log(`\n| mode | load | target | req/s | p50 ms | p90 ms | p99 ms | errors | added p50 | added p99 | CPU µs/req |`);
  console.log(`|---|---|---|---|---|---|---|---|---|---|---|`);
  for (const r of results) {
    const direct = results.find((d) => d.target === 'direct' && d.stream === r.stream && d.load === r.load)!;
    const added = r.target === 'direct' ? ['', ''] : [f(r.p50Ms - direct.p50Ms), f(r.p99Ms - direct.p99Ms)];
    console.log(`| ${r.stream ? 'stream' : 'json'} | ${r.load} | ${r.target} | ${r.rps.toFixed(0)} | ${f(r.p50Ms)} | ${f(r.p90Ms)} | ${f(r.p99Ms)} | ${r.errors} | ${added[0]} | ${added[1]} | ${r.cpuUsPerReq.toFixed(0)} |`);
  }
  const pick = (target: string, stream: boolean, load: string) => results.find((r) => r.target === target && r.stream === stream && r.load === load);
  console.log(`\n(median of ${ROUNDS} round(s); errors summed)\nratios (same run):`);
  const refs = [...(WITH_RELAY ? ['tcp-relay', 'bare-node-proxy'] : []), ...(WITH_NGINX ? ['nginx'] : [])];
  for (const ref of refs) {
    const nginxJson = pick('nginx', false, 'concurrency=64');
    if (ref !== 'nginx' && modes.includes(false) && nginxJson) console.log(`  ${ref}: json c=64 throughput / nginx = ${(pick(ref, false, 'concurrency=64')!.rps / nginxJson.rps).toFixed(2)} (reference)`);
    if (modes.includes(true)) console.log(`  ${ref}: stream c=32 throughput / direct = ${(pick(ref, true, 'concurrency=32')!.rps / pick('direct', true, 'concurrency=32')!.rps).toFixed(2)} (reference)`);
  }
  for (const g of [...CLIENTS.map((c) => `gateway(${c})`), ...(BASELINE !== '' ? ['baseline(undici)'] : [])]) {
    const json = modes.includes(false);
    const stream = modes.includes(true);
    const nginxJson = pick('nginx', false, 'concurrency=64');
    if (json && nginxJson) console.log(`  ${g}: json c=64 throughput / nginx = ${(pick(g, false, 'concurrency=64')!.rps / nginxJson.rps).toFixed(2)} (target >= 0.40)`);
    if (stream) console.log(`  ${g}: stream c=32 throughput / direct = ${(pick(g, true, 'concurrency=32')!.rps / pick('direct', true, 'concurrency=32')!.rps).toFixed(2)} (target >= 0.80)`);
    for (const s of modes) {
      const a = pick(g, s, `rate=${RATE}`)!;
      const d = pick('direct', s, `rate=${RATE}`)!;
      console.log(`  ${g}: ${s ? 'stream' : 'json'} @${RATE} rps added p50 ${f(a.p50Ms - d.p50Ms)} ms (target <= 1), p99 ${f(a.p99Ms - d.p99Ms)} ms (target <= 5)`);
    }
    // Throughput per CPU second: what each proxy could serve with a core of its own.
    const capacity = (name: string, s: boolean, load: string) => 1e6 / pick(name, s, load)!.cpuUsPerReq;
    if (json && nginxJson) console.log(`  ${g}: json c=64 CPU-capacity / nginx = ${(capacity(g, false, 'concurrency=64') / capacity('nginx', false, 'concurrency=64')).toFixed(2)}`);
    if (stream) console.log(`  ${g}: stream c=32 CPU-capacity / direct upstream = ${(capacity(g, true, 'concurrency=32') / capacity('direct', true, 'concurrency=32')).toFixed(2)}`);
  }
  if (FEATURES) {
    // Per-round pairs as well as medians: on this shared machine one noisy round moves a median.
    for (const st of modes) {
      for (const load of [`rate=${RATE}`, `concurrency=${st ? 32 : 64}`]) {
        const on = pick('gateway(features-on)', st, load)!.cpuUsPerReq;
        const off = pick('gateway(features-off)', st, load)!.cpuUsPerReq;
        const perRound = (n: string) => runs.filter((x) => x.target === n && x.stream === st && x.load === load).map((x) => x.cpuUsPerReq);
        const offs = perRound('gateway(features-off)');
        const pairs = perRound('gateway(features-on)').map((v, i) => `${v.toFixed(0)}/${offs[i].toFixed(0)}`);
        console.log(`  live-serving guards: ${st ? 'stream' : 'json'} ${load} CPU µs/req on ${on.toFixed(0)} vs off ${off.toFixed(0)} = ${(on / off).toFixed(2)}x (rounds on/off: ${pairs.join(', ')})`);
      }
    }
  }
  if (TRACING) {
    console.log(`  tracing: ${spansPosted} OTLP export requests received`);
    for (const st of modes) {
      for (const load of [`rate=${RATE}`, `concurrency=${st ? 32 : 64}`]) {
        const on = pick('gateway(tracing-on)', st, load)!.cpuUsPerReq;
        const off = pick('gateway(tracing-off)', st, load)!.cpuUsPerReq;
        const perRound = (n: string) => runs.filter((x) => x.target === n && x.stream === st && x.load === load).map((x) => x.cpuUsPerReq);
        const offs = perRound('gateway(tracing-off)');
        const pairs = perRound('gateway(tracing-on)').map((v, i) => `${v.toFixed(0)}/${offs[i].toFixed(0)}`);
        console.log(`  tracing: ${st ? 'stream' : 'json'} ${load} CPU µs/req on ${on.toFixed(0)} vs off ${off.toFixed(0)} = ${(on / off).toFixed(2)}x (rounds on/off: ${pairs.join(', ')})`);
      }
    }
  }
} finally {
  if (collector) await new Promise<void>((r) => collector!.close(() => r()));
  if (nginx) await stopProc(nginx);
  for (const c of children.reverse()) await c.stop();
  await nats.close();
  rmSync(dir, { recursive: true, force: true });
}
