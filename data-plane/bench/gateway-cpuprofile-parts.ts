// Where the CPU of a streamed request goes, per part of the gateway (or of the bare proxy): each
// sample of a V8 .cpuprofile (bench/gateway-profile.ts) is charged to the part of the closest
// frame on its stack that names one (leaf first), so a socket write under res.end counts as
// "socket writes" and the rest of res.end as "response end + finish". Only samples after
// --skip seconds count (start-up and JIT warm-up stay out). Prints µs per request at the given
// rate (requests = rate × the window), which includes the profiler's own overhead (~1.5×).
// Usage: node --import tsx bench/gateway-cpuprofile-parts.ts FILE.cpuprofile --rate 500 [--skip 3] [--until S] [--detail PART]
//   --detail: the top functions by self time inside the parts whose name starts with PART.
import { readFileSync } from 'node:fs';
import { argValue } from '@matrixinfer/engine-sim/bench';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** [part, function name, url fragment]: the first that matches a frame names its part. */
const MARKERS: Array<[string, string, string]> = [
  ['socket writes (writev syscall)', 'writev', ''],
  ['socket writes (writev syscall)', 'writeBuffer', ''],
  ['socket writes (writev syscall)', 'writeUtf8String', ''],
  ['garbage collector', '(garbage collector)', ''],
  ['body parse (JSON.parse, prompt text)', 'parseBody', 'gateway/body'],
  ['body parse (JSON.parse, prompt text)', 'promptText', 'gateway/body'],
  ['routing (resolve)', 'resolve', 'gateway/routing'],
  ['rate limit', 'admit', 'gateway/rate-limit'],
  ['rate limit', 'charge', 'gateway/rate-limit'],
  ['scheduling (pipeline, prefix hashes)', 'schedule', 'scheduler/'],
  ['scheduling (pipeline, prefix hashes)', 'place', 'scheduler/'],
  ['scheduling (pipeline, prefix hashes)', 'observe', 'scheduler/'],
  ['scheduling (pipeline, prefix hashes)', 'views', 'gateway/load'],
  ['decisions (explain, sampled events)', 'decided', 'gateway/decisions'],
  ['header rewriting', 'upstreamHeaders', 'gateway/headers'],
  ['header rewriting', 'clientHeaders', 'gateway/headers'],
  ['upstream request (undici dispatch, write)', 'post', 'gateway/upstream'],
  ['upstream request (undici dispatch, write)', 'dispatch', 'bench/bare-proxy'],
  ['response status line (writeHead)', 'onHeaders', ''],
  ['body chunks (onData, flush, res.write)', 'onData', ''],
  ['body chunks (onData, flush, res.write)', 'flush', 'gateway/exchange'],
  ['metrics, stats, log (finish)', 'finish', 'gateway/exchange'],
  ['usage accounting', 'parseUsageTail', 'gateway/usage'],
  ['usage accounting', 'text', 'gateway/usage'],
  ['response end (res.end), release', 'onComplete', ''],
  ['client close', 'onClose', 'gateway/exchange'],
  ['client close', 'resOnFinish', '_http_server'],
  ['request setup (id, listeners)', 'Exchange', 'gateway/exchange'],
  ['request setup (id, listeners)', 'start', 'gateway/exchange'],
  ['request body read', 'onBodyChunk', 'gateway/exchange'],
  ['request body read', 'onBodyEnd', 'gateway/exchange'],
  ['request body read', '', 'bench/bare-proxy'],
  ['upstream response parse (undici, llhttp)', '', 'undici/lib/dispatcher'],
  ['client request parse (node:http server)', '', '_http_server'],
  ['client request parse (node:http server)', 'parserOnHeadersComplete', '_http_common'],
  ['client request parse (node:http server)', 'parserOnBody', '_http_common'],
  ['client request parse (node:http server)', 'parserOnMessageComplete', '_http_common'],
  ['background (NATS, timers, samples)', '', '@nats-io'],
  ['background (NATS, timers, samples)', 'listOnTimeout', 'internal/timers'],
  ['socket reads', 'onStreamRead', 'stream_base_commons'],
  ['event loop, ticks, other', '(program)', ''],
];

const file = process.argv[2];
if (!file) throw new Error('usage: gateway-cpuprofile-parts.ts FILE.cpuprofile --rate R [--skip S] [--until S]');
const rate = Number(argValue('rate', '500'));
const skipUs = Number(argValue('skip', '3')) * 1e6;
const untilUs = Number(argValue('until', '1e9')) * 1e6;
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map<number, ProfileNode>();
const parent = new Map<number, number>();
for (const n of prof.nodes) {
  byId.set(n.id, n);
  for (const c of n.children ?? []) parent.set(c, n.id);
}

/** Parts named by the gateway's (or the bare proxy's) own functions win over library frames closer to the leaf. */
const OWN = (m: [string, string, string]): boolean => m[2].startsWith('gateway/') || m[2].startsWith('scheduler/') || m[2] === 'bench/bare-proxy' || ['onHeaders', 'onData', 'onComplete'].includes(m[1]);
const TERMINAL = new Set(['writev', 'writeBuffer', 'writeUtf8String', '(garbage collector)']);
const partOf = new Map<number, string>();
function part(id: number): string {
  const known = partOf.get(id);
  if (known !== undefined) return known;
  let own: string | null = null;
  let lib: string | null = null;
  const leaf = byId.get(id)!.callFrame.functionName;
  for (let at: number | undefined = id; at !== undefined && own === null; at = parent.get(at)) {
    const f = byId.get(at)!.callFrame;
    const m = MARKERS.find(([, fn, url]) => (fn === '' || f.functionName === fn) && (url === '' || f.url.includes(url)) && (fn !== '' || url !== ''));
    if (!m) continue;
    if (OWN(m)) own = m[0];
    else lib ??= m[0];
  }
  const p = TERMINAL.has(leaf) ? MARKERS.find((m) => m[1] === leaf)![0] : (own ?? lib ?? 'other');
  partOf.set(id, p);
  return p;
}
const detail = argValue('detail', '');
const detailSelf = new Map<string, number>();

const totals = new Map<string, number>();
let t = 0;
let windowStart = -1;
let windowEnd = 0;
for (let i = 0; i < prof.samples.length; i++) {
  t += prof.timeDeltas[i];
  if (t < skipUs || t > untilUs) continue;
  if (windowStart < 0) windowStart = t;
  windowEnd = t;
  const n = byId.get(prof.samples[i])!;
  if (n.callFrame.functionName === '(idle)') continue;
  const dt = prof.timeDeltas[i + 1] ?? 0;
  const p = part(prof.samples[i]);
  totals.set(p, (totals.get(p) ?? 0) + dt);
  if (detail !== '' && p.startsWith(detail)) {
    const k = `${n.callFrame.functionName} ${n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/src\//, 'src/')}`;
    detailSelf.set(k, (detailSelf.get(k) ?? 0) + dt);
  }
}
const windowS = (windowEnd - windowStart) / 1e6;
const requests = rate * windowS;
const busy = [...totals.values()].reduce((a, b) => a + b, 0);
console.log(`${file}: window ${windowS.toFixed(1)} s, ${requests.toFixed(0)} requests at ${rate}/s, busy ${(busy / requests).toFixed(1)} µs/request (with profiler)`);
console.log('| part | µs/request | share |');
console.log('|---|---|---|');
for (const [p, us] of [...totals].sort((a, b) => b[1] - a[1])) console.log(`| ${p} | ${(us / requests).toFixed(1)} | ${((100 * us) / busy).toFixed(1)}% |`);
if (detail !== '') {
  console.log(`\nself time inside parts starting with "${detail}":`);
  for (const [k, us] of [...detailSelf].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${(us / requests).toFixed(1)} µs  ${k}`);
}
