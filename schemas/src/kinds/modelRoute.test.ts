import { expect } from 'chai';
import { expectValid, getAt, loadExample, runInvalidCases } from '../testkit.js';

describe('ModelRoute schema', () => {
  const base = () => loadExample('modelroute.yaml');

  it('accepts the example', () => {
    const r = expectValid(base());
    expect(getAt(r, 'spec.rules[1].targetModels[0].weight')).to.equal(80);
  });

  it('accepts a LoRA-only route without modelName', () => {
    const doc = base();
    delete (doc.spec as Record<string, unknown>).modelName;
    expectValid(doc);
  });

  runInvalidCases(base, [
    { name: 'weight above 100', set: { 'spec.rules[1].targetModels[1].weight': 140 }, path: 'spec.rules[1].targetModels[1].weight', message: 'must be between 0 and 100 (got 140)' },
    { name: 'weight on some targets only', unset: ['spec.rules[1].targetModels[1].weight'], path: 'spec.rules[1].targetModels[1].weight', message: 'set weights on all targets or on none' },
    { name: 'all weights zero', set: { 'spec.rules[1].targetModels[0].weight': 0, 'spec.rules[1].targetModels[1].weight': 0 }, path: 'spec.rules[1].targetModels', message: 'no target would receive traffic' },
    { name: 'no targets', set: { 'spec.rules[0].targetModels': [] }, path: 'spec.rules[0].targetModels', message: 'at least 1 item' },
    { name: 'duplicate rule names', set: { 'spec.rules[1].name': 'premium' }, path: 'spec.rules[1].name', message: 'duplicate rule name "premium"' },
    { name: 'header match with two kinds', set: { 'spec.rules[0].modelMatch.headers.x-tier.prefix': 'pre' }, path: 'spec.rules[0].modelMatch.headers.x-tier', message: 'exactly one of exact, prefix or regex' },
    { name: 'invalid regex', set: { 'spec.rules[0].modelMatch.uri': { regex: '(' } }, path: 'spec.rules[0].modelMatch.uri.regex', message: 'not a valid regular expression' },
    { name: 'regex too long to compile safely', set: { 'spec.rules[0].modelMatch.headers.x-tier': { regex: '(a|b)'.repeat(400) } }, path: 'spec.rules[0].modelMatch.headers.x-tier.regex', message: 'at most 1024 are allowed' },
    { name: 'eleven LoRA adapters', set: { 'spec.loraAdapters': Array.from({ length: 11 }, (_, i) => `a${i}`) }, path: 'spec.loraAdapters', message: 'at most 10 items (got a list of 11 items)' },
    { name: 'neither modelName nor adapters', unset: ['spec.modelName', 'spec.loraAdapters'], path: 'spec.modelName', message: 'required unless spec.loraAdapters' },
    { name: 'bad rate-limit unit', set: { 'spec.rateLimit.unit': 'week' }, path: 'spec.rateLimit.unit', message: '"second", "minute", "hour", "day", "month"' },
    { name: 'empty rate limit', set: { 'spec.rateLimit': { unit: 'minute' } }, path: 'spec.rateLimit', message: 'inputTokensPerUnit, outputTokensPerUnit or both' },
    { name: 'target server name with dot', set: { 'spec.rules[0].targetModels[0].modelServerName': 'qwen.pd' }, path: 'spec.rules[0].targetModels[0].modelServerName', message: 'DNS-1123' },
    { name: 'seventeen rules', set: { 'spec.rules': Array.from({ length: 17 }, (_, i) => ({ name: `r${i}`, targetModels: [{ modelServerName: 's' }] })) }, path: 'spec.rules', message: 'at most 16 items' },
    { name: 'model name with a colon', set: { 'spec.modelName': 'qwen2.5:7b' }, path: 'spec.modelName', message: 'key of the mi-routes bucket' },
    { name: 'model name with an empty dot token', set: { 'spec.modelName': 'qwen..7b' }, path: 'spec.modelName', message: 'single dots' },
    { name: 'duplicate LoRA adapter', set: { 'spec.loraAdapters[1]': 'qwen-sql' }, path: 'spec.loraAdapters[1]', message: 'duplicate LoRA adapter "qwen-sql"' },
  ]);
});
