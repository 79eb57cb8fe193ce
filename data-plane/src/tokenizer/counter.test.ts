// The token counter with a real tokenizer in a real worker thread.
import { expect } from 'chai';
import winston from 'winston';
import { startTokenCounter, type TokenCounter } from './counter.js';
import { parseTokenizerSpecs } from './specs.js';
import { qwenTokenizerDir } from './testing.js';

const logger = winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });

async function loaded(c: TokenCounter, model: string): Promise<void> {
  const end = Date.now() + 30_000;
  while (!c.has(model)) {
    if (Date.now() > end) throw new Error(`tokenizer ${model} not loaded: ${JSON.stringify(c.stats())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('token counter (worker thread, Qwen2.5 tokenizer)', function () {
  this.timeout(60_000);
  let c: TokenCounter;
  before(async () => {
    c = startTokenCounter({ specs: parseTokenizerSpecs([`qwen=${qwenTokenizerDir()}`]), logger, timeoutMs: 5000 });
    await loaded(c, 'qwen');
  });
  after(async () => c?.close());

  it("counts with the model's tokenizer: CJK text is far denser than chars/4, English about as dense", async () => {
    const cjk = '机器学习是人工智能的一个分支，它使计算机能够从数据中学习而无需明确编程。';
    const n = await c.count('qwen', cjk);
    expect(n).to.be.a('number');
    expect(n!, `${n} tokens for ${cjk.length} characters`).to.be.greaterThan(Math.ceil(cjk.length / 4) * 2);
    const en = await c.count('qwen', 'The quick brown fox jumps over the lazy dog.');
    expect(en).to.equal(10);
  });

  it('a model without a tokenizer, and an answer later than the timeout, fall back (undefined)', async () => {
    expect(await c.count('other', 'hello')).to.equal(undefined);
    const quick = startTokenCounter({ specs: parseTokenizerSpecs([`qwen=${qwenTokenizerDir()}`]), logger, timeoutMs: 0 });
    try {
      await loaded(quick, 'qwen');
      expect(await quick.count('qwen', 'hello '.repeat(2000))).to.equal(undefined);
      expect(quick.stats().fallback).to.be.greaterThan(0);
    } finally {
      await quick.close();
    }
    expect(c.stats()).to.include({ counted: 2 });
  });

  it('a tokenizer file that is not a tokenizer: reported as failed, counts fall back', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'mi-tok-'));
    writeFileSync(join(dir, 'tokenizer.json'), '{"not": "a tokenizer"}');
    writeFileSync(join(dir, 'tokenizer_config.json'), '{}');
    const broken = startTokenCounter({ specs: parseTokenizerSpecs([`bad=${dir}`]), logger });
    try {
      const end = Date.now() + 10_000;
      while (broken.stats().failed.bad === undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(broken.stats().failed.bad).to.be.a('string');
      expect(await broken.count('bad', 'x')).to.equal(undefined);
    } finally {
      await broken.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
