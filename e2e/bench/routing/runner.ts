// One benchmark cell: a load phase run by a load-generator child process against the gateways,
// with the engines' counters diffed around it (prefix-cache hit rate, engine-side TTFT).
import { fileURLToPath } from 'node:url';
import { ChildSet } from '../../src/support/children.js';
import type { Cluster } from './cluster.js';
import type { LoadResult, LoadSpec } from './loadgen.js';
import { diffCounters, histogramQuantile, quantile } from './metrics.js';

const LOADGEN = fileURLToPath(new URL('./loadgen.ts', import.meta.url));

/** What one phase measured, times in model ms. */
export interface PhaseResult {
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  throughput?: number;
  ttftP50: number;
  ttftP99: number;
  e2eP50: number;
  e2eP99: number;
  /** From the engines' TTFT histograms (bucket-interpolated). */
  engineTtftP50: number;
  engineTtftP99: number;
  /** Engine prefix-cache hits / queries (tokens) over the phase. */
  hitRate: number;
  wallS: number;
}

/** Runs load generators; `killAll` stops any still running (Ctrl-C). */
export class PhaseRunner {
  private readonly children = new ChildSet();

  constructor(private readonly cluster: Cluster) {}

  /** Runs `spec` in a child process, waits for the engines to drain, returns the measurements. */
  async run(spec: LoadSpec, timeoutMs: number): Promise<PhaseResult> {
    await this.cluster.waitIdle(60_000);
    const before = await this.cluster.counters();
    const child = this.children.spawn('loadgen', process.execPath, ['--import', 'tsx', LOADGEN, JSON.stringify(spec)]);
    const timer = setTimeout(() => this.children.signal(child, 'SIGKILL'), timeoutMs);
    const exit = await child.exited;
    clearTimeout(timer);
    const line = child.output().trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (exit.code !== 0 || line === undefined) throw new Error(`load generator failed (exit ${exit.code ?? exit.signal}): ${child.output().slice(-800)}`);
    const r = JSON.parse(line) as LoadResult;
    // Aborted (closed-loop) requests are cancelled upstream; wait until the engines are empty.
    await this.cluster.waitIdle(120_000);
    const d = diffCounters(before, await this.cluster.counters());
    return {
      ok: r.ok, failed: r.failed, statuses: r.statuses, throughput: r.throughput,
      ttftP50: quantile(r.ttftMs, 0.5), ttftP99: quantile(r.ttftMs, 0.99),
      e2eP50: quantile(r.e2eMs, 0.5), e2eP99: quantile(r.e2eMs, 0.99),
      engineTtftP50: histogramQuantile(d.ttftBuckets, 0.5) * 1000, engineTtftP99: histogramQuantile(d.ttftBuckets, 0.99) * 1000,
      hitRate: d.prefixQueries > 0 ? d.prefixHits / d.prefixQueries : 0,
      wallS: r.wallS,
    };
  }

  /** Kills every load generator still running. */
  async killAll(): Promise<void> {
    await this.children.killAll();
  }
}
