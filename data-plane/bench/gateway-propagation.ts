// Propagation benchmark: 4 gateway replicas (separate processes) on one NATS; for each of N
// routing changes (alternately a weight change and a new ready endpoint), the time from just
// before the KV put to the moment the LAST replica swapped in the table holding it (a swapped
// table serves the very next request). After the run, every replica is asked over HTTP which
// endpoint it routes to, to check that swapped really means served.
// Usage (from data-plane/): node --import tsx bench/gateway-propagation.ts [--replicas 4] [--changes 200] [--gap-ms 20]
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '@matrixinfer/events/testing';
import { modelEntry, putRoute, routesBucket, server } from '../src/gateway/testing.js';
import { startTsChild, type Child } from './gateway-bench-util.js';

function arg(name: string, dflt: string): number {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i > 0 ? process.argv[i + 1] : dflt);
}
const REPLICAS = arg('replicas', '4');
const CHANGES = arg('changes', '200');
const GAP_MS = arg('gap-ms', '20');

const nats = await startNatsServer();
const replicas: Array<Child & { seen: Map<number, number> }> = [];
// Woken by replica output (no busy polling: the replicas need the two cores more than we do).
let waiter: { rev: number; resolve: () => void } | null = null;
function allSeen(rev: number): boolean {
  return replicas.every((r) => [...r.seen.keys()].some((k) => k >= rev));
}
try {
  const nc = await connect({ servers: nats.url });
  const kv = await routesBucket(nc);
  const ep = (i: number) => ({ id: `ep-${i}`, url: `http://127.0.0.1:${20000 + i}` });
  await putRoute(kv, modelEntry('prop', [server('stable', [ep(0)]), server('canary', [ep(1)])], [['stable', 90], ['canary', 10]]));
  for (let i = 0; i < REPLICAS; i++) {
    const c = await startTsChild('bench/gateway-replica.ts', ['--nats-url', nats.url, '--name', `prop-${i}`]);
    const seen = new Map<number, number>();
    let buf = '';
    c.proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = JSON.parse(buf.slice(0, nl)) as { revision?: number; tMs?: number };
        buf = buf.slice(nl + 1);
        if (line.revision !== undefined) seen.set(line.revision, line.tMs!);
        if (waiter && allSeen(waiter.rev)) {
          const w = waiter;
          waiter = null;
          w.resolve();
        }
      }
    });
    replicas.push({ ...c, seen });
  }
  await new Promise((r) => setTimeout(r, 500));

  const delays: number[] = [];
  const endpoints = [ep(0)];
  for (let n = 0; n < CHANGES; n++) {
    let entry;
    if (n % 2 === 0) {
      const w = 10 + (n % 80);
      entry = modelEntry('prop', [server('stable', endpoints), server('canary', [ep(1)])], [['stable', 100 - w], ['canary', w]]);
    } else {
      endpoints.push(ep(endpoints.length + 2));
      entry = modelEntry('prop', [server('stable', endpoints), server('canary', [ep(1)])], [['stable', 50], ['canary', 50]]);
    }
    const t0 = performance.timeOrigin + performance.now();
    const rev = await putRoute(kv, entry);
    if (!allSeen(rev)) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`change ${n} (revision ${rev}) did not reach every replica in 5 s`)), 5000);
        waiter = {
          rev,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      });
    }
    let last = 0;
    for (const r of replicas) {
      let t = Infinity;
      for (const [k, v] of r.seen) if (k >= rev && v < t) t = v;
      if (t > last) last = t;
    }
    delays.push(last - t0);
    await new Promise((r) => setTimeout(r, GAP_MS));
  }
  await nc.close();

  // Served, not just swapped: each replica's /debug/routes holds the last revision.
  for (const r of replicas) {
    const d = (await (await fetch(`${String(r.info.url)}/debug/routes`)).json()) as { entries: { prop: { entry: { servers: { stable: { endpoints: unknown[] } } } } } };
    if (d.entries.prop.entry.servers.stable.endpoints.length !== endpoints.length) throw new Error(`${String(r.info.url)} does not serve the last change`);
  }

  delays.sort((a, b) => a - b);
  const pct = (p: number) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))];
  const row = { replicas: REPLICAS, changes: CHANGES, p50Ms: pct(50), p90Ms: pct(90), p99Ms: pct(99), maxMs: delays[delays.length - 1] };
  console.log(`| replicas | changes | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|---|\n| ${row.replicas} | ${row.changes} | ${row.p50Ms.toFixed(2)} | ${row.p90Ms.toFixed(2)} | ${row.p99Ms.toFixed(2)} | ${row.maxMs.toFixed(2)} |`);
  console.log(JSON.stringify(row));
} finally {
  for (const r of replicas) await r.stop();
  await nats.close();
}
