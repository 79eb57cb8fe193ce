// Multi-worker gateway throughput: `mi-gateway --workers N` pinned with taskset to a CPU set,
// the upstream, nats-server and the load generator (wrk, C) pinned to another, closed-loop
// streaming (or JSON) load at a fixed concurrency. Prints, per run, throughput, latency and the
// CPU the gateway's processes (primary and workers) used per request, with each process's share,
// so one can see whether N workers split the load and what the primary costs.
// Usage (from data-plane/): node --import tsx bench/gateway-workers.ts [--runs 1@1,2@0-1] [--others 0]
//   [--concurrency 64] [--duration 5] [--rounds 2] [--json] [--sim]
//   --runs: workers@cpus per run (taskset -c syntax); --others: CPUs of everything else;
//   --sim: upstream mi-engine-sim with zero latencies instead of bench/gateway-upstream.ts.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '@matrixinfer/events/testing';
import { modelEntry, putRoute, routesBucket, server } from '../src/gateway/testing.js';
import { cpuMs, startChild, startSimChild, startTsChild, until, type Child } from './gateway-bench-util.js';
import { parseWrk, requireWrk, writeWrkScript } from './wrk-load.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}
const RUNS = arg('runs', '1@1,2@0-1').split(',').map((r) => {
  const [w, cpus] = r.split('@');
  return { workers: Number(w), cpus };
});
const OTHERS = arg('others', '0');
const CONCURRENCY = Number(arg('concurrency', '64'));
const DURATION = Number(arg('duration', '5'));
const ROUNDS = Number(arg('rounds', '2'));
const STREAM = !process.argv.includes('--json');
requireWrk();

/** Pins every thread of `pid` to `cpus`. */
function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-cp', cpus, String(pid)], { stdio: 'ignore' });
}

/** The node:cluster workers of a primary (its child processes). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** GET /v1/models on a connection of its own, so the cluster primary hands it to some worker. */
function modelsOverNewConnection(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(`${url}/v1/models`, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
}

/** Pid of the process listening on a local TCP port (nats-server's test helper does not expose it). */
function listenerPid(port: number): number {
  const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const m = /pid=(\d+)/.exec(out);
  if (!m) throw new Error(`no process listens on ${port}`);
  return Number(m[1]);
}

function wrk(url: string, script: string, seconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = ['-c', OTHERS, 'wrk', '-t1', `-c${CONCURRENCY}`, `-d${seconds}s`, '--latency', '-s', script, `${url}/v1/chat/completions`];
    execFile('taskset', args, { timeout: (seconds + 30) * 1000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'mi-bench-workers-'));
const nats = await startNatsServer();
const children: Child[] = [];
try {
  pin(listenerPid(nats.port), OTHERS);
  const upstream = process.argv.includes('--sim') ? await startSimChild('bench') : await startTsChild('bench/gateway-upstream.ts', []);
  children.push(upstream);
  pin(upstream.proc.pid!, OTHERS);
  const nc = await connect({ servers: nats.url });
  await putRoute(await routesBucket(nc), modelEntry('bench', [server('bench-srv', [{ id: 'up-0', url: String(upstream.info.url) }])]));
  await nc.close();
  const script = writeWrkScript(dir, 'bench', STREAM);
  const rows: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const run of RUNS) {
      const gw = await startChild('taskset', ['-c', run.cpus, process.execPath, '--import', 'tsx', 'src/gateway/main.ts', '--port', '0', '--nats-url', nats.url, '--log-level', 'off', '--workers', String(run.workers)]);
      try {
        const primary = gw.proc.pid!;
        const url = String(gw.info.url);
        // Every worker must route the model: ask a few times over fresh connections.
        await until('every worker routes bench', async () => {
          const seen = await Promise.all(Array.from({ length: 4 * run.workers }, () => modelsOverNewConnection(url)));
          return seen.every((t) => t.includes('"bench"'));
        });
        await wrk(url, script, 2); // JIT warm-up of every worker
        const pids = run.workers > 1 ? [primary, ...childrenOf(primary)] : [primary];
        const before = pids.map(cpuMs);
        const r = parseWrk(await wrk(url, script, DURATION));
        const used = pids.map((p, i) => cpuMs(p) - before[i]);
        const total = used.reduce((a, b) => a + b, 0);
        const shares = used.map((u) => `${((100 * u) / Math.max(1, total)).toFixed(0)}%`).join(' / ');
        const row = `| ${round} | ${run.workers} | ${run.cpus} | ${r.rps.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.errors} | ${((total * 1000) / Math.max(1, r.requests)).toFixed(1)} | ${shares} |`;
        rows.push(row);
        process.stderr.write(`${row}\n`);
      } finally {
        await gw.stop();
      }
    }
  }
  console.log(`\n${STREAM ? 'streaming' : 'JSON'}, wrk -c${CONCURRENCY} ${DURATION} s, upstream ${process.argv.includes('--sim') ? 'mi-engine-sim (zero latencies)' : 'bench/gateway-upstream.ts'}, everything else on CPUs ${OTHERS}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  console.log('\n| round | workers | gateway CPUs | req/s | p50 ms | p99 ms | errors | gateway CPU µs/req | CPU share (primary / workers) |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
} finally {
  for (const c of children.reverse()) await c.stop();
  await nats.close();
  rmSync(dir, { recursive: true, force: true });
}
