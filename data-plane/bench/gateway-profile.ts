// Profiles the gateway hot path: runs a gateway child (or, with --bare, the bare node:http +
// undici proxy of bench/bare-proxy.ts, to compare part by part) with --cpu-prof under a fixed
// load from the load generator, then stops it (the .cpuprofile lands in the given directory;
// summarise it with engine-sim/bench/sim-cpuprofile.ts).
// Usage (from data-plane/): node --import tsx bench/gateway-profile.ts [--stream] [--concurrency 64 | --rate R]
//   [--duration 5] [--out DIR] [--interval µs (sampling, default 1000)] [--upstream undici|http] [--sim] [--bare]
//   --otlp: trace every request (--otlp-endpoint to a collector in this process that discards the spans)
//   --sim: the upstream is mi-engine-sim with zero latencies (as in gateway-overhead.ts), not
//   the minimal node:http server of bench/gateway-upstream.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '@matrixinfer/events/testing';
import { modelEntry, putRoute, routesBucket, server } from '../src/gateway/testing.js';
import { runTsJson, startChild, startSimChild, startTsChild, until, type Child } from './gateway-bench-util.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}
const stream = process.argv.includes('--stream');
const bare = process.argv.includes('--bare');
const rate = arg('rate', '');
const otlp = process.argv.includes('--otlp');
const nats = await startNatsServer();
const children: Child[] = [];
let collector: http.Server | null = null;
try {
  const upstream = process.argv.includes('--sim') ? await startSimChild('bench') : await startTsChild('bench/gateway-upstream.ts', []);
  children.push(upstream);
  const nc = await connect({ servers: nats.url });
  await putRoute(await routesBucket(nc), modelEntry('bench', [server('bench-srv', [{ id: 'up-0', url: String(upstream.info.url) }])]));
  await nc.close();
  const otlpArgs: string[] = [];
  if (otlp) {
    collector = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((r) => collector!.listen(0, '127.0.0.1', r));
    otlpArgs.push('--otlp-endpoint', `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`);
  }
  const prof = ['--cpu-prof', '--cpu-prof-interval', arg('interval', '1000'), '--cpu-prof-dir', arg('out', '/tmp/mi-gateway-prof'), '--import', 'tsx'];
  const gw = bare
    ? await startChild(process.execPath, [...prof, 'bench/bare-proxy.ts', '--upstream', String(upstream.info.url)])
    : await startChild(process.execPath, [
        ...prof,
        'src/gateway/main.ts',
        '--port',
        '0',
        '--nats-url',
        nats.url,
        '--log-level',
        'off',
        '--upstream',
        arg('upstream', 'undici'),
        // One process, so the profile is of the process that serves (no cluster primary).
        '--workers',
        '1',
        ...otlpArgs,
      ]);
  children.push(gw);
  const url = String(gw.info.url);
  if (!bare) await until('gateway routes bench', async () => (await (await fetch(`${url}/v1/models`)).text()).includes('"bench"'));
  const load = rate !== '' ? ['--rate', rate] : ['--concurrency', arg('concurrency', '64')];
  const r = await runTsJson<Record<string, number>>('bench/gateway-loadgen.ts', ['--url', url, '--model', 'bench', ...(stream ? ['--stream'] : []), ...load, '--duration', arg('duration', '5'), '--cpu-pid', String(gw.proc.pid)]);
  console.log(JSON.stringify({ ...r, cpuUsPerReq: (r.targetCpuMs * 1000) / Math.max(1, r.requests) }));
} finally {
  for (const c of children.reverse()) await c.stop();
  if (collector) await new Promise<void>((r) => collector!.close(() => r()));
  await nats.close();
}
