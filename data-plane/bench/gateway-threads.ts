// Where a proxy process's CPU goes by thread: the main (JavaScript) thread against V8's helper
// threads (garbage collection, JIT compilation) and libuv's pool, for the gateway and the bare
// proxy under the same fixed load, rounds interleaved. A CPU profile sees only the main thread;
// this counts everything /proc charges to the process, from /proc/<pid>/task/<tid>/stat (user +
// system ticks, 100 Hz) around each measured window.
// Usage (from data-plane/): node --import tsx bench/gateway-threads.ts [--stream] [--rates 500,2000,c64] [--gap 12] [--duration 6] [--rounds 3] [--node-flags "--max-semi-space-size=16"] [--target-cpus 1] [--idle 10]
//   --rates: each entry a fixed rate (500) or a closed loop at a concurrency (c64).
//   --gap: seconds with no load before each window (bursts after idle: V8's memory reducer runs
//   after about 8 s of quiet).
//   --compare-flags: also a second gateway started with these Node.js/V8 flags (target `gateway*`).
//   --idle: last, each proxy's CPU with no load for this many seconds (ms per second, by thread).
//   --target-cpus: run the two proxies pinned to these CPUs (taskset); start the benchmark itself
//   under `taskset -c 0` so the upstream, NATS and the load generator stay off them.
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '@matrixinfer/events/testing';
import { modelEntry, putRoute, routesBucket, server } from '../src/gateway/testing.js';
import { runTsJson, startChild, startTsChild, until, type Child } from './gateway-bench-util.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

/** The targets in the order of round `r`: rotated by one each round, so each runs in every position. */
function rotate<T>(xs: T[], r: number): T[] {
  const k = r % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

/** Ticks (user + system) of each thread of `pid`, by thread name (comm), summed over same-named threads. */
function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const close = stat.lastIndexOf(')');
    const name = Number(tid) === pid ? 'main' : stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    out.set(name, (out.get(name) ?? 0) + Number(f[11]) + Number(f[12]));
  }
  return out;
}

const stream = process.argv.includes('--stream');
const rates = arg('rates', '500').split(',');
const duration = arg('duration', '6');
const rounds = Number(arg('rounds', '3'));
const nodeFlags = arg('node-flags', '').split(' ').filter(Boolean);
const targetCpus = arg('target-cpus', '');
const idleS = Number(arg('idle', '0'));
const gapS = Number(arg('gap', '0'));
const compareFlags = arg('compare-flags', '').split(' ').filter(Boolean);
/** Load generator arguments of one --rates entry. */
const loadOf = (entry: string): string[] => (entry.startsWith('c') ? ['--concurrency', entry.slice(1)] : ['--rate', entry]);
/** Command and arguments of a proxy process, pinned when --target-cpus is given. */
const proxy = (args: string[]): [string, string[]] =>
  targetCpus === '' ? [process.execPath, [...nodeFlags, ...args]] : ['taskset', ['-c', targetCpus, process.execPath, ...nodeFlags, ...args]];
const nats = await startNatsServer();
const children: Child[] = [];
try {
  const upstream = await startTsChild('bench/gateway-upstream.ts', []);
  children.push(upstream);
  const nc = await connect({ servers: nats.url });
  await putRoute(await routesBucket(nc), modelEntry('bench', [server('bench-srv', [{ id: 'up-0', url: String(upstream.info.url) }])]));
  await nc.close();
  const gw = await startChild(...proxy(['--import', 'tsx', 'src/gateway/main.ts', '--port', '0', '--nats-url', nats.url, '--log-level', 'off', '--workers', '1']));
  children.push(gw);
  const bare = await startChild(...proxy(['--import', 'tsx', 'bench/bare-proxy.ts', '--upstream', String(upstream.info.url)]));
  children.push(bare);
  await until('gateway routes bench', async () => (await (await fetch(`${String(gw.info.url)}/v1/models`)).text()).includes('"bench"'));
  const targets: Array<[string, Child]> = [
    ['gateway', gw],
    ['bare', bare],
  ];
  if (compareFlags.length > 0) {
    const [cmd, args] = proxy(['--import', 'tsx', 'src/gateway/main.ts', '--port', '0', '--nats-url', nats.url, '--log-level', 'off', '--workers', '1']);
    const gw2 = await startChild(cmd, cmd === 'taskset' ? [...args.slice(0, 3), ...compareFlags, ...args.slice(3)] : [...compareFlags, ...args]);
    children.push(gw2);
    await until('second gateway routes bench', async () => (await (await fetch(`${String(gw2.info.url)}/v1/models`)).text()).includes('"bench"'));
    targets.push(['gateway*', gw2]);
    console.log(`gateway* runs with ${compareFlags.join(' ')}`);
  }
  console.log(`${stream ? 'streamed' : 'JSON'} requests, ${duration} s per window${targetCpus ? `, proxies on CPUs ${targetCpus}` : ''}; CPU µs per request by thread (user + system)`);
  for (let r = 0; r < rounds; r++) {
    for (const rate of rates) for (const [name, c] of rotate(targets, r)) {
      const pid = c.proc.pid!;
      if (gapS > 0) await new Promise((res) => setTimeout(res, gapS * 1000));
      const before = threadTicks(pid);
      const res = await runTsJson<{ requests: number; errors: number; rps: number }>('bench/gateway-loadgen.ts', ['--url', String(c.info.url), '--model', 'bench', ...(stream ? ['--stream'] : []), ...loadOf(rate), '--duration', duration]);
      const after = threadTicks(pid);
      const parts: string[] = [];
      let total = 0;
      for (const [t, ticks] of after) {
        const us = ((ticks - (before.get(t) ?? 0)) * 10_000) / Math.max(1, res.requests);
        total += us;
        if (us > 0) parts.push(`${t} ${us.toFixed(0)}`);
      }
      console.log(`round ${r} ${rate.padStart(5)} ${name.padEnd(8)} total ${total.toFixed(0).padStart(4)} µs/req (${parts.join(', ')}) ${Math.round(res.rps)} req/s, errors ${res.errors}`);
    }
  }
  if (idleS > 0) {
    await new Promise((r) => setTimeout(r, 5000)); // past the load's leftovers (GC, compilation)
    const before = targets.map(([, c]) => threadTicks(c.proc.pid!));
    await new Promise((r) => setTimeout(r, idleS * 1000));
    targets.forEach(([name, c], k) => {
      const after = threadTicks(c.proc.pid!);
      const parts = [...after].map(([t, ticks]): [string, number] => [t, ((ticks - (before[k].get(t) ?? 0)) * 10) / idleS]);
      const total = parts.reduce((a, [, v]) => a + v, 0);
      console.log(`idle ${name.padEnd(8)} ${total.toFixed(1)} ms CPU per second (${parts.filter(([, v]) => v > 0).map(([t, v]) => `${t} ${v.toFixed(1)}`).join(', ')}) over ${idleS} s`);
    });
  }
  console.log(`load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
} finally {
  for (const c of children.reverse()) await c.stop();
  await nats.close();
}
