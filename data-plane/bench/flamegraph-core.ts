// Flame graph (SVG) of a V8 .cpuprofile, the pure part, for docs/benchmarks.md: no package renders today's
// .cpuprofile format to a static SVG without a browser (thlorenz/flamegraph reads the old one,
// speedscope and 0x make HTML apps), so the fold and the drawing are here, in two pure steps.
// Frames merge by function and file along the stack (so one function's calls from one caller are
// one box); width is CPU time, the root at the bottom. (idle) is left out. Colours: our code
// (src/), packages (node_modules/), Node.js internals, and V8 (GC, program) apart.
// The command is bench/flamegraph.ts.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber?: number };
  children?: number[];
}
/** The parts of a V8 .cpuprofile the fold reads. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One box of the flame graph: a frame and the CPU time (µs) of every sample under it. */
export interface Frame {
  name: string;
  /** Where the function lives: `src/...`, `node_modules/...`, `node:...`, or '' for V8's own. */
  where: string;
  us: number;
  children: Frame[];
}

/** Shortens a script URL to what tells frames apart: from `src/` or the last `node_modules/` on. */
export function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + 1);
  const src = url.lastIndexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

/**
 * Folds the samples taken between `skipUs` and `untilUs` (µs from the profile's start) into a tree
 * of frames merged by name and place under the same parent; (idle) samples are dropped.
 */
export function foldProfile(p: CpuProfile, skipUs = 0, untilUs = Infinity): Frame {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const root: Frame = { name: 'all', where: '', us: 0, children: [] };
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (t < skipUs || t > untilUs) continue;
    const leaf = byId.get(p.samples[i]);
    if (!leaf || leaf.callFrame.functionName === '(idle)') continue;
    const stack: ProfileNode[] = [];
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) stack.push(byId.get(id)!);
    root.us += dt;
    let at = root;
    // The profile's own root node is the last element; it is `all`.
    for (let k = stack.length - 2; k >= 0; k--) {
      const f = stack[k].callFrame;
      const name = f.functionName || '(anonymous)';
      const where = shortUrl(f.url);
      let child = at.children.find((c) => c.name === name && c.where === where);
      if (!child) {
        child = { name, where, us: 0, children: [] };
        at.children.push(child);
      }
      child.us += dt;
      at = child;
    }
  }
  return root;
}

/** Colour of a frame by whose code it is. */
export function frameColour(f: Frame): string {
  if (f.where.startsWith('src/')) return '#e8743b'; // ours
  if (f.where.startsWith('node_modules/')) return '#ecc94b';
  if (f.where.startsWith('node:')) return '#63b3ed';
  return '#a0aec0'; // V8: GC, program, natives
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export interface RenderOptions {
  title: string;
  width?: number;
  /** Frames narrower than this many µs are not drawn (their time stays in the parent). */
  minUs?: number;
  /** Labels say µs per request: the window's requests. */
  requests?: number;
}

/** Draws a folded tree as a static SVG flame graph (root at the bottom, children by size). */
export function renderFlameGraph(root: Frame, o: RenderOptions): string {
  const width = o.width ?? 1200;
  const rowH = 16;
  const pad = 10;
  const minUs = o.minUs ?? 0;
  const scale = root.us > 0 ? (width - 2 * pad) / root.us : 0;
  const fmt = (us: number): string => (o.requests ? `${(us / o.requests).toFixed(1)} µs/request` : `${(us / 1000).toFixed(1)} ms`);
  const boxes: Array<{ x: number; depth: number; f: Frame }> = [];
  let depthMax = 0;
  const place = (f: Frame, x: number, depth: number): void => {
    depthMax = Math.max(depthMax, depth);
    boxes.push({ x, depth, f });
    let cx = x;
    for (const c of [...f.children].sort((a, b) => b.us - a.us)) {
      if (c.us < minUs) continue;
      place(c, cx, depth + 1);
      cx += c.us * scale;
    }
  };
  place(root, pad, 0);
  const height = (depthMax + 1) * rowH + 3 * pad + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="Verdana, sans-serif" font-size="11">`,
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    `<text x="${width / 2}" y="${pad + 12}" text-anchor="middle" font-size="14">${escapeXml(o.title)}</text>`,
  ];
  for (const { x, depth, f } of boxes) {
    const w = f.us * scale;
    const y = height - pad - (depth + 1) * rowH;
    const label = `${f.name} ${f.where}`.trim();
    const chars = Math.floor((w - 4) / 6.5);
    const text = chars >= 3 ? (label.length > chars ? `${label.slice(0, chars - 1)}…` : label) : '';
    const tip = `${label} ${fmt(f.us)} (${((100 * f.us) / root.us).toFixed(1)}%)`;
    out.push(
      `<g><title>${escapeXml(tip)}</title><rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${rowH - 1}" fill="${frameColour(f)}" rx="1"/>` +
        (text ? `<text x="${(x + 2).toFixed(2)}" y="${y + 11}">${escapeXml(text)}</text>` : '') +
        '</g>',
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
