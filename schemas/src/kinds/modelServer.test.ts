import { expect } from 'chai';
import { expectValid, getAt, loadExample, runInvalidCases } from '../testkit.js';

describe('ModelServer schema', () => {
  const base = () => loadExample('modelserver.yaml');

  it('accepts the example', () => {
    const r = expectValid(base());
    expect(getAt(r, 'spec.kvConnector.type')).to.equal('nixl');
  });

  runInvalidCases(base, [
    { name: 'unknown engine', set: { 'spec.inferenceEngine': 'TGI' }, path: 'spec.inferenceEngine', message: 'must be one of "vLLM", "SGLang" (got "TGI")' },
    { name: 'port zero', set: { 'spec.workloadPort.port': 0 }, path: 'spec.workloadPort.port', message: 'between 1 and 65535 (got 0)' },
    { name: 'timeout as number', set: { 'spec.trafficPolicy.timeout': 30 }, path: 'spec.trafficPolicy.timeout', message: 'must be a string (got 30)' },
    { name: 'timeout without unit', set: { 'spec.trafficPolicy.timeout': '30' }, path: 'spec.trafficPolicy.timeout', message: 'must be a duration like' },
    { name: 'unknown kv connector', set: { 'spec.kvConnector.type': 'nccl' }, path: 'spec.kvConnector.type', message: '"http", "lmcache", "nixl", "mooncake"' },
    { name: 'pd group without key', unset: ['spec.workloadSelector.pdGroup.groupKey'], path: 'spec.workloadSelector.pdGroup.groupKey', message: 'is required' },
    { name: 'same prefill and decode labels', set: { 'spec.workloadSelector.pdGroup.decodeLabels': { 'pd-role': 'prefill' } }, path: 'spec.workloadSelector.pdGroup.decodeLabels', message: 'must differ from prefillLabels' },
    { name: 'retry attempts negative', set: { 'spec.trafficPolicy.retry.attempts': -1 }, path: 'spec.trafficPolicy.retry.attempts', message: 'between 0 and 10 (got -1)' },
    { name: 'missing selector', unset: ['spec.workloadSelector'], path: 'spec.workloadSelector', message: 'is required' },
    { name: 'label value not a string', set: { 'spec.workloadSelector.matchLabels["modelinfer.matrixinfer.ai/name"]': 5 }, path: 'spec.workloadSelector.matchLabels["modelinfer.matrixinfer.ai/name"]', message: 'must be a string (got 5)' },
  ]);
});
