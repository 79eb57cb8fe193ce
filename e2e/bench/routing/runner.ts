// One benchmark cell: a load phase run by the load-generator child process against the gateways,
// with the engines' counters diffed around it (prefix-cache hit rate, engine-side TTFT). The
// child is started once and reused (a node + tsx start costs seconds of CPU per phase).
import { fileURLToPath } from 'node:url';
import { ChildSet, type RunningChild } from '../../src/support/children.js';
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
  /** Closed loop: requests finished after warm-up per second (quantized by completions). */
  completedThroughput?: number;
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
  private loadgen: { child: RunningChild; url: string } | null = null;

  constructor(private readonly cluster: Cluster) {}

  /** The running load generator, started on first use (and again after a kill). */
  private async generator(): Promise<{ child: RunningChild; url: string }> {
    if (this.loadgen?.child.running()) return this.loadgen;
    const child = this.children.spawn('loadgen', process.execPath, ['--import', 'tsx', LOADGEN, '--serve']);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const m = /\{"loadgen":"(http:\/\/[^"]+)"\}/.exec(child.output());
      if (m) return (this.loadgen = { child, url: m[1] });
      if (!child.running() || Date.now() > deadline) throw new Error(`load generator did not start: ${child.output().slice(-800)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Runs `spec` in the load generator, waits for the engines to drain, returns the measurements. */
  async run(spec: LoadSpec, timeoutMs: number): Promise<PhaseResult> {
    await this.cluster.waitIdle(60_000);
    const before = await this.cluster.counters();
    const gen = await this.generator();
    // A phase that overruns is killed with its generator (the next phase starts a new one).
    const timer = setTimeout(() => this.children.signal(gen.child, 'SIGKILL'), timeoutMs);
    let r: LoadResult;
    try {
      const res = await fetch(`${gen.url}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`status ${res.status}: ${text.slice(0, 800)}`);
      r = JSON.parse(text) as LoadResult;
    } catch (err) {
      throw new Error(`load generator failed: ${(err as Error).message}; output: ${gen.child.output().slice(-800)}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
    // Aborted (closed-loop) requests are cancelled upstream; wait until the engines are empty.
    await this.cluster.waitIdle(120_000);
    const d = diffCounters(before, await this.cluster.counters());
    return {
      ok: r.ok, failed: r.failed, statuses: r.statuses, throughput: r.throughput, completedThroughput: r.completedThroughput,
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
