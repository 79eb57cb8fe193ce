import { expect } from 'chai';
import { join } from 'node:path';
import { parseTokenizerSpecs } from './specs.js';
import { qwenTokenizerDir } from './testing.js';

describe('tokenizer specs (--tokenizer NAME=DIR)', () => {
  it('reads NAME=DIR pairs of real tokenizer directories', () => {
    const dir = qwenTokenizerDir();
    expect(parseTokenizerSpecs([`qwen=${dir}`])).to.deep.equal([{ model: 'qwen', tokenizerJson: join(dir, 'tokenizer.json'), tokenizerConfig: join(dir, 'tokenizer_config.json') }]);
  });

  const bad: { name: string; flags: string[]; message: RegExp }[] = [
    { name: 'no =', flags: ['qwen'], message: /--tokenizer "qwen": expected NAME=DIR/ },
    { name: 'empty name', flags: ['=/x'], message: /expected NAME=DIR/ },
    { name: 'a model twice', flags: [`a=${qwenTokenizerDir()}`, `a=${qwenTokenizerDir()}`], message: /model a is given twice/ },
    { name: 'a directory without the files', flags: ['a=/nonexistent'], message: /--tokenizer a=\/nonexistent: \/nonexistent\/tokenizer.json does not exist/ },
  ];
  for (const b of bad) {
    it(`refuses ${b.name} with a config error`, () => {
      expect(() => parseTokenizerSpecs(b.flags)).to.throw(b.message).with.property('code', 'MI_ERR_CONFIG');
    });
  }
});
