// Writes the flame graph (SVG) of a V8 .cpuprofile (bench/gateway-profile.ts makes them);
// the fold and the drawing are in flamegraph-core.ts.
// Usage (from data-plane/): node --import tsx bench/flamegraph.ts FILE.cpuprofile --out FILE.svg
//   [--skip 3] [--until S] [--per-request RATE] [--title "..."] [--width 1200] [--min-us 1]
//   --skip/--until: the window, in seconds from the profile's start (start-up and JIT warm-up out).
//   --per-request: labels in µs per request at RATE requests per second over the window.
//   --min-us: frames below this (µs per request with --per-request, else µs) are not drawn.
import { readFileSync, writeFileSync } from 'node:fs';
import { foldProfile, renderFlameGraph, type CpuProfile } from './flamegraph-core.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const file = process.argv[2];
const out = arg('out');
if (!file || file.startsWith('--') || !out) {
  process.stderr.write('usage: flamegraph.ts FILE.cpuprofile --out FILE.svg [--skip S] [--until S] [--per-request RATE] [--title T]\n');
  process.exit(2);
}
let profile: CpuProfile;
try {
  profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  if (!Array.isArray(profile.nodes) || !Array.isArray(profile.samples) || !Array.isArray(profile.timeDeltas)) throw new Error('not a V8 .cpuprofile (nodes, samples, timeDeltas)');
} catch (err) {
  process.stderr.write(`flamegraph: ${file}: ${(err as Error).message}\n`);
  process.exit(2);
}
const skipS = Number(arg('skip') ?? 3);
const untilS = Number(arg('until') ?? Infinity);
const root = foldProfile(profile, skipS * 1e6, untilS * 1e6);
const totalS = profile.timeDeltas.reduce((a, b) => a + b, 0) / 1e6;
const windowS = Math.min(untilS, totalS) - skipS;
const rate = Number(arg('per-request') ?? 0);
const requests = rate > 0 ? Math.round(rate * windowS) : undefined;
const minUs = Number(arg('min-us') ?? 1) * (requests ?? 1);
writeFileSync(out, renderFlameGraph(root, { title: arg('title') ?? file, width: Number(arg('width') ?? 1200), minUs, requests }));
console.log(`${out}: ${(root.us / 1000).toFixed(0)} ms busy over ${windowS.toFixed(1)} s${requests ? `, ${(root.us / requests).toFixed(1)} µs per request` : ''}`);
