// Pure rendering of the routing-quality results: the markdown tables, the target checks, the
// SVG bar chart (hand-written, no dependency) and the splice of our section into benchmarks.md.
import type { WorkloadName } from './workloads.js';
import type { PhaseResult } from './runner.js';

/** One (gateways, profile, workload) cell. */
export interface Cell {
  gateways: number;
  profile: string;
  workload: WorkloadName;
  /** Offered rate of the fixed-rate phase, model req/s. */
  rate: number;
  saturation: PhaseResult;
  fixed: PhaseResult;
}

const f0 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(0));
const f1 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(1));
const pct = (v: number): string => `${(v * 100).toFixed(0)}%`;

/** Markdown table of the cells of one gateway count and workload. */
export function markdownTable(cells: Cell[]): string {
  const head = '| profile | sat. req/s | hit @sat | rate | TTFT p50 | TTFT p99 | e2e p50 | e2e p99 | engine TTFT p50 / p99 | hit | failed |\n|---|---|---|---|---|---|---|---|---|---|---|';
  const rows = cells.map((c) => {
    const x = c.fixed;
    const failed = c.saturation.failed + x.failed;
    return `| ${c.profile} | ${f1(c.saturation.throughput)} | ${pct(c.saturation.hitRate)} | ${f0(c.rate)} | ${f0(x.ttftP50)} | ${f0(x.ttftP99)} | ${f0(x.e2eP50)} | ${f0(x.e2eP99)} | ${f0(x.engineTtftP50)} / ${f0(x.engineTtftP99)} | ${pct(x.hitRate)} | ${failed} |`;
  });
  return [head, ...rows].join('\n');
}

/** One target of the issue, checked. */
export interface TargetCheck {
  gateways: number;
  text: string;
  pass: boolean;
}

function find(cells: Cell[], gateways: number, profile: string, workload: WorkloadName): Cell | undefined {
  return cells.find((c) => c.gateways === gateways && c.profile === profile && c.workload === workload);
}

/** The issue's targets for the default profile, per gateway count present in `cells`. */
export function checkTargets(cells: Cell[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const g of [...new Set(cells.map((c) => c.gateways))].sort()) {
    // With several gateways the baselines are the same profiles through as many gateways.
    const d1 = find(cells, g, 'default', 'shared');
    const r1 = find(cells, g, 'random', 'shared');
    if (d1 && r1) {
      const ttft = r1.fixed.ttftP50 / d1.fixed.ttftP50;
      const thr = (d1.saturation.throughput ?? 0) / (r1.saturation.throughput ?? 1);
      out.push({ gateways: g, text: `shared: TTFT p50 random/default = ${ttft.toFixed(2)}× (target ≥ 3×)`, pass: ttft >= 3 });
      out.push({ gateways: g, text: `shared: saturation default/random = ${thr.toFixed(2)}× (target ≥ 2×)`, pass: thr >= 2 });
    }
    const d2 = find(cells, g, 'default', 'random');
    const l2 = find(cells, g, 'least-request', 'random');
    if (d2 && l2) {
      const thr = (d2.saturation.throughput ?? 0) / (l2.saturation.throughput ?? 1);
      const ttft = d2.fixed.ttftP50 / l2.fixed.ttftP50;
      const e2e = d2.fixed.e2eP99 / l2.fixed.e2eP99;
      out.push({ gateways: g, text: `random: saturation default/least-request = ${thr.toFixed(3)} (target ≥ 0.95)`, pass: thr >= 0.95 });
      out.push({ gateways: g, text: `random: TTFT p50 default/least-request = ${ttft.toFixed(3)}, e2e p99 ${e2e.toFixed(3)} (target ≤ 1.05)`, pass: ttft <= 1.05 && e2e <= 1.05 });
    }
    const d3 = find(cells, g, 'default', 'skewed');
    const l3 = find(cells, g, 'least-request', 'skewed');
    if (d3 && l3) {
      const r = d3.fixed.ttftP99 / l3.fixed.ttftP99;
      out.push({ gateways: g, text: `skewed: TTFT p99 default/least-request = ${r.toFixed(2)} (target ≤ 1.3)`, pass: r <= 1.3 });
    }
  }
  return out;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Grouped bar chart: one panel per workload, bars per profile (one gateway) for saturation
 * throughput and TTFT p50 at the fixed rate (log scale, model ms).
 */
export function svgChart(cells: Cell[], profiles: string[], workloads: WorkloadName[], caption: string): string {
  const one = cells.filter((c) => c.gateways === 1);
  const colors = ['#8c8c8c', '#b07aa1', '#4e79a7', '#59a14f', '#edc948', '#f28e2b', '#e15759'];
  const panelW = 300;
  const panelH = 200;
  const left = 60;
  const top = 40;
  const metrics: { title: string; value: (c: Cell) => number; log: boolean }[] = [
    { title: 'saturation throughput (req/s, model time)', value: (c) => c.saturation.throughput ?? 0, log: false },
    { title: 'TTFT p50 at fixed rate (model ms, log)', value: (c) => c.fixed.ttftP50, log: true },
  ];
  const width = left + workloads.length * (panelW + 30) + 20;
  const height = top + metrics.length * (panelH + 70) + 40 + 20 * Math.ceil(profiles.length / 4);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`, `<rect width="100%" height="100%" fill="white"/>`, `<text x="${left}" y="20" font-size="14">${esc(caption)}</text>`];
  metrics.forEach((m, mi) => {
    const y0 = top + mi * (panelH + 70);
    workloads.forEach((w, wi) => {
      const x0 = left + wi * (panelW + 30);
      const vals = profiles.map((p) => one.find((c) => c.profile === p && c.workload === w)).map((c) => (c ? m.value(c) : NaN));
      const finite = vals.filter((v) => Number.isFinite(v) && v > 0);
      const max = finite.length ? Math.max(...finite) : 1;
      const minLog = 1;
      const scale = (v: number): number => {
        if (!Number.isFinite(v) || v <= 0) return 0;
        if (!m.log) return (v / max) * panelH;
        const hi = Math.log10(Math.max(max, 10) * 1.2);
        return (Math.max(0, Math.log10(v) - minLog + 1) / (hi - minLog + 1)) * panelH;
      };
      parts.push(`<text x="${x0}" y="${y0 + 12}" font-size="12">${esc(`${w}: ${m.title}`)}</text>`);
      parts.push(`<line x1="${x0}" y1="${y0 + 20 + panelH}" x2="${x0 + panelW}" y2="${y0 + 20 + panelH}" stroke="#333"/>`);
      const bw = panelW / profiles.length;
      vals.forEach((v, i) => {
        const h = scale(v);
        const x = x0 + i * bw + 3;
        const y = y0 + 20 + panelH - h;
        parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(bw - 6).toFixed(1)}" height="${h.toFixed(1)}" fill="${colors[i % colors.length]}"><title>${esc(`${profiles[i]}: ${Number.isFinite(v) ? v.toFixed(1) : 'n/a'}`)}</title></rect>`);
        parts.push(`<text x="${(x + (bw - 6) / 2).toFixed(1)}" y="${(y - 3).toFixed(1)}" text-anchor="middle" font-size="9">${Number.isFinite(v) ? v.toFixed(0) : '–'}</text>`);
      });
    });
  });
  const ly = top + metrics.length * (panelH + 70);
  profiles.forEach((p, i) => {
    const x = left + (i % 4) * 160;
    const y = ly + Math.floor(i / 4) * 20;
    parts.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${colors[i % colors.length]}"/><text x="${x + 16}" y="${y + 10}">${esc(p)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

export const SECTION_START = '<!-- routing-quality:start -->';
export const SECTION_END = '<!-- routing-quality:end -->';

/** `doc` with our section (between the markers) replaced by `section`, or appended. */
export function spliceSection(doc: string, section: string): string {
  const block = `${SECTION_START}\n${section.trim()}\n${SECTION_END}`;
  const a = doc.indexOf(SECTION_START);
  const b = doc.indexOf(SECTION_END);
  if (a >= 0 && b > a) return doc.slice(0, a) + block + doc.slice(b + SECTION_END.length);
  return `${doc.replace(/\s*$/, '')}\n\n${block}\n`;
}
