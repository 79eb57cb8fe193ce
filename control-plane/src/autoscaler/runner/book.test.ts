// The sample book's resource and GPU signals: CPU/memory fields of engine samples summed under
// `cpu` / `memory`, and a DCGM exporter's exposition (read by the collector through a binding's
// metricEndpoint) reaching a policy through the any-metric values.
import { expect } from 'chai';
import type { EngineSample, StoredResource } from '@matrixinfer/events';
import { anyMetricValues, parsePrometheusTypes, type ParsedScrape } from '../../collector/any-metric.js';
import { DCGM } from '../../collector/fixtures.js';
import { parsePrometheusText } from '../../collector/prometheus.js';
import { emptyScalerState } from '../types.js';
import { addSample, aggregateAt, createSampleBook } from './book.js';
import { rebuildState, stepUnit } from './step.js';
import { buildTopology } from './topology.js';

const engine = (endpoint: string, timeMs: number, extra: Partial<EngineSample>): EngineSample => ({
  endpoint, address: 'http://127.0.0.1:1', modelServer: 'ms', target: 'mi1', engine: 'vLLM', timeMs, running: 0, waiting: 0, kvUsage: 0, ...extra,
});

let seq = 0;
function res(kind: string, name: string, spec: unknown): StoredResource {
  seq++;
  return { apiVersion: 'x/v1', kind, metadata: { name, namespace: 'default', uid: `u${seq}`, resourceVersion: String(seq), generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' }, spec } as StoredResource;
}

// One binding on mi1 (1 replica now), the policy's metrics as given; 60 s of samples from `sampleAt`.
function decideOn(metrics: { metricName: string; targetValue: number | string }[], sampleAt: (endpoint: string, t: number) => EngineSample) {
  const topology = buildTopology([
    res('AutoscalingPolicy', 'p', { metrics }),
    res('ModelInfer', 'mi1', { replicas: 1, template: { roles: [] } }),
    res('AutoscalingPolicyBinding', 'b', { policyRef: { name: 'p' }, scalingConfiguration: { target: { targetRef: { name: 'mi1' } }, maxReplicas: 10 } }),
  ]);
  const book = createSampleBook();
  for (let t = 1000; t <= 60_000; t += 1000) for (const ep of ['e1', 'e2']) addSample(book, { source: 'engine', namespace: 'default', sample: sampleAt(ep, t) });
  const ctx = { topology, book, staleMs: 5000 };
  const unit = topology.units[0];
  return { book, step: stepUnit(unit, ctx, unit.ok ? rebuildState(unit, ctx, 1, 60_000, 2000) : emptyScalerState(), 60_000) };
}

describe('autoscaler runner: resource and GPU signals', () => {
  it('cpuCores and memoryBytes are summed over endpoints as cpu and memory; absent fields add nothing', () => {
    const book = createSampleBook();
    addSample(book, { source: 'engine', namespace: 'default', sample: engine('e1', 1000, { cpuCores: 1.5, memoryBytes: 2e9 }) });
    addSample(book, { source: 'engine', namespace: 'default', sample: engine('e2', 1000, { cpuCores: 0.25, memoryBytes: 1e9 }) });
    addSample(book, { source: 'engine', namespace: 'default', sample: engine('e3', 1000, {}) });
    expect(aggregateAt(book, 'default', 'mi1', [], 1000, 1000)?.values).to.include({ cpu: 1.75, memory: 3e9 });
  });

  it('a policy on cpu_cores and memory_bytes ("4Gi" per replica) scales on the larger wish', () => {
    // 2 endpoints × 1.2 cores = 2.4 cores / 1 per replica → 3; 2 × 3 GiB = 6 GiB / 4 GiB → 2.
    const { step } = decideOn([{ metricName: 'cpu_cores', targetValue: 1 }, { metricName: 'memory_bytes', targetValue: '4Gi' }], (ep, t) => engine(ep, t, { cpuCores: 1.2, memoryBytes: 3 * 2 ** 30 }));
    expect(step.data).to.include({ valid: true, desiredReplicas: 3 });
    expect(step.data.inputs.cpu).to.include({ target: 1, stableReplicas: 3 });
    expect(step.data.inputs.memory).to.include({ target: 4 * 2 ** 30, stableReplicas: 2 });
  });

  it('a DCGM exporter exposition (through metricEndpoint, filtered to the GPU of the replica) feeds a policy on DCGM_FI_DEV_GPU_UTIL', () => {
    const text = (util0: number): string => DCGM.replace(/^(DCGM_FI_DEV_GPU_UTIL\{gpu="0"[^}]*\}) 87$/m, `$1 ${util0}`);
    const scrape = (t: number): ParsedScrape => ({ samples: parsePrometheusText(text(90)), types: parsePrometheusTypes(text(90)), timeMs: t });
    // What the collector does per endpoint: the bound exposition's families, additionalMatchLabels gpu=0.
    const custom = anyMetricValues(scrape(0), scrape(1000), { gpu: '0' });
    expect(custom.DCGM_FI_DEV_GPU_UTIL).to.equal(90);
    // Two replicas at 90 % GPU each = 180 over a 60 % target per replica → 3 replicas.
    const { step } = decideOn([{ metricName: 'DCGM_FI_DEV_GPU_UTIL', targetValue: 60 }], (ep, t) => engine(ep, t, { custom }));
    expect(step.data).to.include({ valid: true, desiredReplicas: 3 });
    expect(step.data.inputs['custom:DCGM_FI_DEV_GPU_UTIL']).to.include({ target: 60, stableAverage: 180 });
  });
});
