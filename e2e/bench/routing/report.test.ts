import { expect } from 'chai';
import { checkTargets, markdownTable, SECTION_END, SECTION_START, spliceSection, svgChart, type Cell } from './report.js';
import type { PhaseResult } from './runner.js';
import type { WorkloadName } from './workloads.js';

const phase = (p: Partial<PhaseResult>): PhaseResult => ({
  ok: 10, failed: 0, statuses: {}, ttftP50: 100, ttftP99: 500, e2eP50: 900, e2eP99: 1400, engineTtftP50: 90, engineTtftP99: 480, hitRate: 0.5, wallS: 1, ...p,
});
const cell = (profile: string, workload: WorkloadName, sat: number, fixed: Partial<PhaseResult>, gateways = 1): Cell =>
  ({ gateways, profile, workload, rate: 50, saturation: phase({ throughput: sat }), fixed: phase(fixed) });

describe('routing bench report', () => {
  it('checks the issue targets against the right baselines', () => {
    const cells = [
      cell('random', 'shared', 70, { ttftP50: 600 }), cell('default', 'shared', 150, { ttftP50: 150 }),
      cell('least-request', 'random', 250, { ttftP50: 160, e2eP99: 1000 }), cell('default', 'random', 240, { ttftP50: 160, e2eP99: 1000 }),
      cell('least-request', 'skewed', 200, { ttftP99: 600 }), cell('default', 'skewed', 220, { ttftP99: 800 }),
    ];
    const r = checkTargets(cells).map((c) => [c.text.split(' =')[0], c.pass]);
    expect(r).to.deep.equal([
      ['shared: TTFT p50 random/default', true], // 4×
      ['shared: saturation default/random', true], // 2.14×
      ['random: saturation default/least-request', true], // 0.96
      ['random: TTFT p50 default/least-request', true],
      ['skewed: TTFT p99 default/least-request', false], // 1.33
    ]);
  });

  it('compares several gateways with the same profiles through as many gateways', () => {
    const cells = [cell('random', 'shared', 70, { ttftP50: 600 }), cell('default', 'shared', 100, { ttftP50: 300 }, 4), cell('random', 'shared', 30, { ttftP50: 900 }, 4)];
    expect(checkTargets(cells).map((c) => [c.gateways, c.pass])).to.deep.equal([[4, true], [4, true]]);
  });

  it('replaces only its own section of benchmarks.md, or appends it', () => {
    const other = '# Benchmarks\n\n## Gateway overhead\n\nfigures\n';
    const once = spliceSection(other, '## Routing quality\n\nv1');
    expect(once).to.equal(`${other}\n${SECTION_START}\n## Routing quality\n\nv1\n${SECTION_END}\n`);
    const twice = spliceSection(`${once}\n## Later section\n`, '## Routing quality\n\nv2');
    expect(twice).to.contain('v2').and.contain('## Gateway overhead').and.contain('## Later section');
    expect(twice).to.not.contain('v1');
  });

  it('renders a table row per cell and a well-formed SVG with a bar per profile and workload', () => {
    const cells = [cell('random', 'shared', 70, {}), cell('default', 'shared', 150, { ttftP50: NaN })];
    expect(markdownTable(cells).split('\n')).to.have.length(4);
    const svg = svgChart(cells, ['random', 'default'], ['shared'], 'a < b');
    expect(svg.startsWith('<svg')).to.equal(true);
    expect(svg).to.contain('a &lt; b');
    expect(svg.match(/<rect x=/g)).to.have.length(2 * 2 + 2); // 2 metrics × 2 bars + 2 legend swatches
  });
});
