import { expect } from 'chai';
import { expectValid, getAt, loadExample, runInvalidCases } from '../testkit.js';

describe('ModelServer schema', () => {
  const base = () => loadExample('modelserver.yaml');

  it('accepts the example', () => {
    const r = expectValid(base());
    expect(getAt(r, 'spec.kvConnector.type')).to.equal('nixl');
  });

  it('accepts an outlier detection policy and fills its defaults', () => {
    const m = base() as { spec: { trafficPolicy?: Record<string, unknown> } };
    m.spec.trafficPolicy = { ...m.spec.trafficPolicy, streamIdleTimeout: '5s', outlierDetection: { consecutive5xx: 2 } };
    const r = expectValid(m);
    expect(getAt(r, 'spec.trafficPolicy.outlierDetection')).to.deep.equal({ consecutive5xx: 2, consecutiveGatewayFailure: 3, baseEjectionTime: '10s', maxEjectionTime: '300s', maxEjectionPercent: 50 });
  });

  it('accepts LoRA adapters to load on its endpoints', () => {
    const m = base() as { spec: Record<string, unknown> };
    m.spec.loraAdapters = [{ name: 'sql', artifactURL: 'hf://org/sql-lora' }];
    expect(getAt(expectValid(m), 'spec.loraAdapters[0].name')).to.equal('sql');
  });

  runInvalidCases(base, [
    { name: 'adapter twice', set: { 'spec.loraAdapters': [{ name: 'a', artifactURL: 'hf://o/a' }, { name: 'a', artifactURL: 'hf://o/b' }] }, path: 'spec.loraAdapters[1].name', message: 'duplicate LoRA adapter name' },
    { name: 'adapter without artifact', set: { 'spec.loraAdapters': [{ name: 'a' }] }, path: 'spec.loraAdapters[0].artifactURL', message: 'is required' },
    { name: 'unknown engine', set: { 'spec.inferenceEngine': 'TGI' }, path: 'spec.inferenceEngine', message: 'must be one of "vLLM", "SGLang", "Triton", "TorchServe" (got "TGI")' },
    { name: 'port zero', set: { 'spec.workloadPort.port': 0 }, path: 'spec.workloadPort.port', message: 'between 1 and 65535 (got 0)' },
    { name: 'timeout as number', set: { 'spec.trafficPolicy.timeout': 30 }, path: 'spec.trafficPolicy.timeout', message: 'must be a string (got 30)' },
    { name: 'timeout without unit', set: { 'spec.trafficPolicy.timeout': '30' }, path: 'spec.trafficPolicy.timeout', message: 'must be a duration like' },
    { name: 'unknown kv connector', set: { 'spec.kvConnector.type': 'nccl' }, path: 'spec.kvConnector.type', message: '"http", "lmcache", "nixl", "mooncake"' },
    { name: 'pd group without key', unset: ['spec.workloadSelector.pdGroup.groupKey'], path: 'spec.workloadSelector.pdGroup.groupKey', message: 'is required' },
    { name: 'same prefill and decode labels', set: { 'spec.workloadSelector.pdGroup.decodeLabels': { 'pd-role': 'prefill' } }, path: 'spec.workloadSelector.pdGroup.decodeLabels', message: 'must differ from prefillLabels' },
    { name: 'retry attempts negative', set: { 'spec.trafficPolicy.retry.attempts': -1 }, path: 'spec.trafficPolicy.retry.attempts', message: 'between 0 and 10 (got -1)' },
    { name: 'ejection percent over 100', set: { 'spec.trafficPolicy.outlierDetection': { maxEjectionPercent: 150 } }, path: 'spec.trafficPolicy.outlierDetection.maxEjectionPercent', message: 'between 0 and 100 (got 150)' },
    { name: 'idle timeout without unit', set: { 'spec.trafficPolicy.streamIdleTimeout': '5' }, path: 'spec.trafficPolicy.streamIdleTimeout', message: 'must be a duration like' },
    { name: 'unknown outlier field', set: { 'spec.trafficPolicy.outlierDetection': { interval: '10s' } }, path: 'spec.trafficPolicy.outlierDetection.interval', message: 'is not a known field' },
    { name: 'missing selector', unset: ['spec.workloadSelector'], path: 'spec.workloadSelector', message: 'is required' },
    { name: 'label value not a string', set: { 'spec.workloadSelector.matchLabels["modelinfer.matrixinfer.ai/name"]': 5 }, path: 'spec.workloadSelector.matchLabels["modelinfer.matrixinfer.ai/name"]', message: 'must be a string (got 5)' },
  ]);
});
