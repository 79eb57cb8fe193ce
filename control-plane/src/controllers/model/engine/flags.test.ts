import { expect } from 'chai';
import { configToArgs, configValue, flagName, shellLine, withoutFlags, workerConfig } from './flags.js';

describe('engine flags', () => {
  const names: [string, string][] = [
    ['max-model-len', '--max-model-len'],
    ['maxModelLen', '--max-model-len'],
    ['pipeline_parallel_size', '--pipeline-parallel-size'],
    ['--port', '--port'],
  ];
  for (const [key, want] of names) it(`flagName(${key}) = ${want}`, () => expect(flagName(key)).to.equal(want));

  const cases: { name: string; config: Record<string, unknown> | undefined; style?: 'negate' | 'omit'; want: string[] }[] = [
    { name: 'no config', config: undefined, want: [] },
    { name: 'sorted flags with values', config: { 'max-num-seqs': 8, 'block-size': 16 }, want: ['--block-size', '16', '--max-num-seqs', '8'] },
    { name: 'true and "" are bare flags (MatrixInfer examples)', config: { 'enable-prefix-caching': '', 'enforce-eager': true }, want: ['--enable-prefix-caching', '--enforce-eager'] },
    { name: 'false omitted (SGLang)', config: { 'enable-prefix-caching': false }, want: [] },
    { name: 'false negated (vLLM)', config: { 'enable-prefix-caching': false }, style: 'negate', want: ['--no-enable-prefix-caching'] },
    { name: 'null omitted', config: { x: null }, style: 'negate', want: [] },
    { name: 'arrays repeat values, objects are JSON', config: { lora: ['a', 'b'], kv: { x: 1 } }, want: ['--kv', '{"x":1}', '--lora', 'a', 'b'] },
    { name: 'camelCase keys', config: { maxModelLen: 12288 }, want: ['--max-model-len', '12288'] },
  ];
  for (const tc of cases) it(`configToArgs: ${tc.name}`, () => expect(configToArgs(tc.config, tc.style)).to.deep.equal(tc.want));

  it('configValue and withoutFlags find a key under any spelling', () => {
    const cfg = { servedModelName: 'x', tensor_parallel_size: 2, other: 1 };
    expect(configValue(cfg, '--served-model-name')).to.equal('x');
    expect(configValue(cfg, '--tensor-parallel-size')).to.equal(2);
    expect(configValue(cfg, '--nope')).to.equal(undefined);
    expect(withoutFlags(cfg, '--served-model-name', '--tensor-parallel-size')).to.deep.equal({ other: 1 });
  });

  it('workerConfig narrows the untyped config: an object is the flag map, anything else no flags', () => {
    const cfg = { 'max-model-len': 8192 };
    expect(workerConfig({ config: cfg })).to.equal(cfg);
    for (const config of [undefined, null, ['--x'], '--x', 3]) expect(workerConfig({ config }), JSON.stringify(config)).to.equal(undefined);
  });

  it('shellLine quotes what the shell would split or expand, keeps env references', () => {
    expect(shellLine(['vllm', 'serve', '/m', '--port', '$(PORT)', '--x', '{"a": 1}', "it's", '$ENTRY_ADDRESS:20000', '$WORKER_INDEX'])).to.equal(
      `vllm serve /m --port $(PORT) --x '{"a": 1}' 'it'\\''s' $ENTRY_ADDRESS:20000 $WORKER_INDEX`,
    );
  });
});
