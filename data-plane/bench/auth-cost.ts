// CPU cost of API-key checks on the gateway's request path, in process: what the handler and the
// intake add per request with --api-keys (authenticate: SHA-256 of the Bearer token, one Map
// lookup, expiry; the scope check; the per-key limiter's check and take). Compared in
// docs/benchmarks.md with the gateway's measured CPU per request.
// Usage (from data-plane/): node --import tsx bench/auth-cost.ts [--keys 1000] [--iterations 1000000] [--rounds 5]
import { createHash } from 'node:crypto';
import { hashApiKey, makeApiKey, type ApiKeyRecord } from '@matrixinfer/schemas';
import { authenticate } from '../src/gateway/auth/authenticate.js';
import { KeyLimiter } from '../src/gateway/auth/key-limits.js';
import { compileKeyStore } from '../src/gateway/auth/key-store.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const KEYS = arg('keys', 1000);
const N = arg('iterations', 1_000_000);
const ROUNDS = arg('rounds', 5);

let seed = 1;
const rng = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) & 0xff);
const tokens = Array.from({ length: KEYS }, () => makeApiKey(rng));
const records: ApiKeyRecord[] = tokens.map((t, i) => ({ id: `key-${i}`, sha256: hashApiKey(t), models: i % 2 === 0 ? ['llama', 'qwen-7b'] : ['team-*-lora', 'llama'], rpm: 1e9, tpm: 1e12, expires: '2099-01-01T00:00:00Z' }));
const store = compileKeyStore({ format: 'mi.apikeys/v1', keys: records });
const headers = tokens.map((t) => `Bearer ${t}`);
const limiter = new KeyLimiter();

function measure(name: string, body: (i: number) => unknown): number {
  let sink = 0;
  const start = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) if (body(i)) sink++;
  const wallNs = ((performance.now() - t0) * 1e6) / N;
  const cpu = process.cpuUsage(start);
  const cpuNs = ((cpu.user + cpu.system) * 1000) / N;
  if (sink < 0) console.log(sink);
  return Math.round(Math.min(wallNs, cpuNs));
}

const rows: Record<string, number[]> = { sha256: [], authenticate: [], 'scope (exact)': [], 'scope (glob)': [], 'limiter check+take': [], 'whole path': [] };
const now = Date.now();
for (let r = 0; r < ROUNDS; r++) {
  rows.sha256.push(measure('sha256', (i) => createHash('sha256').update(tokens[i % KEYS]).digest('hex').length));
  rows.authenticate.push(measure('authenticate', (i) => authenticate(store, headers[i % KEYS], now).ok));
  const keys = store.keys();
  rows['scope (exact)'].push(measure('scope', (i) => keys[(i * 2) % KEYS].allows('qwen-7b')));
  rows['scope (glob)'].push(measure('glob', (i) => keys[(i * 2 + 1) % KEYS].allows('team-a-lora')));
  rows['limiter check+take'].push(measure('limiter', (i) => {
    const k = keys[i % KEYS];
    const ok = limiter.check(k, 100, now).ok;
    limiter.take(k, 100, now);
    return ok;
  }));
  rows['whole path'].push(measure('whole', (i) => {
    const a = authenticate(store, headers[i % KEYS], now);
    if (!a.ok || !a.key.allows('llama')) return false;
    const ok = limiter.check(a.key, 100, now).ok;
    limiter.take(a.key, 100, now);
    return ok;
  }));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`keys=${KEYS} iterations=${N} rounds=${ROUNDS} (ns per request; min of wall and CPU per round)`);
for (const [name, xs] of Object.entries(rows)) console.log(`| ${name} | ${xs.join(', ')} | ${median(xs)} |`);
