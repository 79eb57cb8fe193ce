// Summarises a V8 .cpuprofile (node --cpu-prof): self and inclusive time per function, as % of
// the busy (non-idle) samples, so profiles of the simulator can be compared before and after a
// change. Inclusive time counts a sample once per function even when it recurses.
// tsx runs TypeScript minified to one line per file (and wraps named arrow functions in
// `__name(...)`, so V8 sees them as anonymous): positions in our .ts files are mapped back to
// source lines by transforming the file again with tsx's esbuild options and reading the map.
// Usage: node --import tsx bench/sim-cpuprofile.ts FILE.cpuprofile [--top 30] [--match engine-sim/src]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { argValue } from './sim-bench-util.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: sim-cpuprofile.ts FILE.cpuprofile [--top N] [--match TEXT]');
const top = Number(argValue('top', '30'));
const match = argValue('match', '');
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map<number, ProfileNode>();
const parent = new Map<number, number>();
for (const n of prof.nodes) {
  byId.set(n.id, n);
  for (const c of n.children ?? []) parent.set(c, n.id);
}
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** For generated line 0 of a source map: [generated column, original line] pairs in column order. */
function firstLineMap(mappings: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let col = 0;
  let line = 0;
  for (const seg of mappings.split(';')[0].split(',')) {
    const v: number[] = [];
    let shift = 0;
    let acc = 0;
    for (const ch of seg) {
      const d = B64.indexOf(ch);
      acc += (d & 31) << shift;
      if (d & 32) shift += 5;
      else {
        v.push(acc & 1 ? -(acc >>> 1) : acc >>> 1);
        acc = 0;
        shift = 0;
      }
    }
    if (v.length === 0) continue;
    col += v[0];
    if (v.length >= 4) line += v[2];
    out.push([col, line]);
  }
  return out;
}

const maps = new Map<string, Array<[number, number]> | null>();
/** Original 1-based line of generated column `col` in a .ts file run through tsx, or undefined. */
function sourceLine(url: string, col: number): number | undefined {
  if (!url.startsWith('file://') || !url.endsWith('.ts')) return undefined;
  let m = maps.get(url);
  if (m === undefined) {
    try {
      const r = transformSync(readFileSync(fileURLToPath(url), 'utf8'), {
        loader: 'ts', format: 'esm', target: `node${process.versions.node}`, sourcemap: 'external', minifyWhitespace: true, keepNames: true,
      });
      m = firstLineMap((JSON.parse(r.map) as { mappings: string }).mappings);
    } catch {
      m = null;
    }
    maps.set(url, m);
  }
  if (!m) return undefined;
  let best: number | undefined;
  for (const [c, l] of m) {
    if (c > col) break;
    best = l + 1;
  }
  return best;
}

/** One row per function: name, file (from src/ or node_modules/ on) and line. */
const key = (n: ProfileNode): string => {
  const f = n.callFrame;
  const url = f.url.replace(/^.*?\/(src|node_modules|bench)\//, '$1/').replace(/^node:/, '');
  const line = f.lineNumber === 0 ? sourceLine(f.url, f.columnNumber) ?? 1 : f.lineNumber + 1;
  return `${f.functionName || '(anonymous)'} ${url ? `${url}:${line}` : ''}`.trim();
};

/** Area of a function for the by-area table: a src/ folder, a node_modules package, node's own JS, or a V8 pseudo-node. */
const area = (n: ProfileNode): string => {
  const url = n.callFrame.url;
  if (url === '') return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
  const src = /\/src\/(.*)\/[^/]+$/.exec(url);
  if (src && !url.includes('/node_modules/')) return `src/${src[1]}`;
  const mod = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (mod) return `node_modules/${mod[1]}`;
  return url.startsWith('node:') || !url.includes('/') ? 'node internals (JS)' : url;
};

const self = new Map<string, number>();
const byArea = new Map<string, number>();
const incl = new Map<string, number>();
let busy = 0;
let idle = 0;
for (let i = 0; i < prof.samples.length; i++) {
  // The delta after a sample is the time it stands for (the first delta is the start offset).
  const dt = prof.timeDeltas[i + 1] ?? 0;
  const leaf = byId.get(prof.samples[i])!;
  const k = key(leaf);
  if (k.startsWith('(idle)')) {
    idle += dt;
    continue;
  }
  busy += dt;
  self.set(k, (self.get(k) ?? 0) + dt);
  const a = area(leaf);
  byArea.set(a, (byArea.get(a) ?? 0) + dt);
  const seen = new Set<string>();
  for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
    const kk = key(byId.get(id)!);
    if (seen.has(kk)) continue;
    seen.add(kk);
    incl.set(kk, (incl.get(kk) ?? 0) + dt);
  }
}

const pct = (us: number): string => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
const table = (title: string, m: Map<string, number>): void => {
  console.log(`\n${title}`);
  const rows = [...m].filter(([k]) => !match || k.includes(match)).sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [k, us] of rows) console.log(`  ${pct(us)}  ${k}`);
};
console.log(`${file}: busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s (percentages are of busy time)`);
table('self time by area', byArea);
table('self time', self);
table('inclusive time', incl);
