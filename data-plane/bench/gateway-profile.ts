// Profiles the gateway hot path: runs a gateway child with --cpu-prof under a fixed load from
// the load generator, then stops it (the .cpuprofile lands in the given directory).
// Usage (from data-plane/): node --import tsx bench/gateway-profile.ts [--stream] [--concurrency 64] [--duration 5] [--out DIR]
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '@matrixinfer/events/testing';
import { modelEntry, putRoute, routesBucket, server } from '../src/gateway/testing.js';
import { runTsJson, startChild, startTsChild, until, type Child } from './gateway-bench-util.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}
const stream = process.argv.includes('--stream');
const nats = await startNatsServer();
const children: Child[] = [];
try {
  const upstream = await startTsChild('bench/gateway-upstream.ts', []);
  children.push(upstream);
  const nc = await connect({ servers: nats.url });
  await putRoute(await routesBucket(nc), modelEntry('bench', [server('bench-srv', [{ id: 'up-0', url: String(upstream.info.url) }])]));
  await nc.close();
  const gw = await startChild(process.execPath, [
    '--cpu-prof',
    '--cpu-prof-dir',
    arg('out', '/tmp/mi-gateway-prof'),
    '--import',
    'tsx',
    'src/gateway/main.ts',
    '--port',
    '0',
    '--nats-url',
    nats.url,
    '--log-level',
    'off',
    '--upstream',
    arg('upstream', 'undici'),
  ]);
  children.push(gw);
  const url = String(gw.info.url);
  await until('gateway routes bench', async () => (await (await fetch(`${url}/v1/models`)).text()).includes('"bench"'));
  const r = await runTsJson<Record<string, number>>('bench/gateway-loadgen.ts', ['--url', url, '--model', 'bench', ...(stream ? ['--stream'] : []), '--concurrency', arg('concurrency', '64'), '--duration', arg('duration', '5')]);
  console.log(JSON.stringify(r));
} finally {
  for (const c of children.reverse()) await c.stop();
  await nats.close();
}
