// One gateway replica for the propagation benchmark: prints `{"url":...}` once listening, then
// one line `{"revision":R,"tMs":T}` per routing-table swap, T on the shared wall clock
// (performance.timeOrigin + now(), sub-millisecond).
// Usage: node --import tsx bench/gateway-replica.ts --nats-url URL --name NAME
import { startGateway } from '../src/gateway/gateway.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const gw = await startGateway({
  port: 0,
  natsUrl: arg('nats-url'),
  name: arg('name'),
  logLevel: 'off',
  onSwap: (table) => process.stdout.write(`${JSON.stringify({ revision: table.revision, tMs: performance.timeOrigin + performance.now() })}\n`),
});
process.stdout.write(`${JSON.stringify({ url: gw.url })}\n`);
process.on('SIGTERM', () => void gw.close().then(() => process.exit(0)));
