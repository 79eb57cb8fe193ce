import { expect } from 'chai';
import { blockHashes, chainSeed, createKvCache } from './kv-cache.js';
import { createRng } from './rng.js';
import { applyChatTemplate, detokenize, tokenize, tokenizeByRegex } from './tokenizer.js';

describe('sim tokenizer', () => {
  const cases = [
    { name: 'plain English', text: 'The quick brown fox jumps over the lazy dog.' },
    { name: 'punctuation and newlines', text: 'a,b;  c\n\n\td!?' },
    { name: 'non-ASCII and emoji', text: 'naïve 東京 café 🚀 ok' },
    { name: 'long word', text: 'internationalization' },
  ];
  for (const tc of cases) {
    it(`round-trips ${tc.name} and is stable`, () => {
      const ids = tokenize(tc.text);
      expect(detokenize(ids)).to.equal(tc.text);
      expect(tokenize(tc.text)).to.deep.equal(ids);
    });
  }

  it('splits words into chunks of at most 4 characters, attaching one leading space', () => {
    expect(tokenize('internationalization').map((id) => detokenize([id]))).to.deep.equal(['inte', 'rnat', 'iona', 'liza', 'tion']);
    expect(tokenize('hi there').map((id) => detokenize([id]))).to.deep.equal(['hi', ' the', 're']);
  });

  it('the ASCII scan cuts and encodes exactly as the regex definition', () => {
    const rng = createRng(11);
    // Every ASCII character, with spaces and letters weighted up so words and " x" pieces occur.
    const alphabet = [...Array.from({ length: 128 }, (_, c) => String.fromCharCode(c)), ...' '.repeat(40), ...'abcXYZ019'.repeat(8)];
    const texts = [applyChatTemplate([{ role: 'user', content: 'Say hello, please!  ok?\n\tend ' }]), ' ', '  a', 'a ', ' .', '. ', '\r\n \v', ''];
    for (let k = 0; k < 2000; k++) {
      const len = Math.floor(rng.next() * 40);
      texts.push(Array.from({ length: len }, () => alphabet[Math.floor(rng.next() * alphabet.length)]).join(''));
    }
    for (const t of texts) expect(tokenize(t), JSON.stringify(t)).to.deep.equal(tokenizeByRegex(t));
  });

  it('a shared text prefix gives a shared token prefix', () => {
    const a = tokenize(applyChatTemplate([{ role: 'system', content: 'You are helpful.' }, { role: 'user', content: 'Hi' }]));
    const b = tokenize(applyChatTemplate([{ role: 'system', content: 'You are helpful.' }, { role: 'user', content: 'Bye' }]));
    let i = 0;
    while (a[i] === b[i]) i++;
    expect(i).to.be.greaterThan(10);
  });
});

describe('sim KV cache', () => {
  it('chained hashes depend on the whole prefix and the salt', () => {
    const t = Array.from({ length: 48 }, (_, i) => i);
    const u = t.slice();
    u[0] = 999;
    const ht = blockHashes(chainSeed('m'), t, 16);
    const hu = blockHashes(chainSeed('m'), u, 16);
    expect(ht).to.have.length(3);
    expect(ht[2]).to.not.equal(hu[2]); // block 2 is equal, its parent is not
    expect(blockHashes(chainSeed('other'), t, 16)[0]).to.not.equal(ht[0]);
  });

  it('keeps freed blocks cached until they are evicted oldest-first', () => {
    const kv = createKvCache(4, 16);
    const a = kv.allocate(2)!;
    kv.register(a[0], 111);
    kv.register(a[1], 222);
    kv.release(a);
    expect(kv.freeCount()).to.equal(4);
    expect(kv.match([111, 222], 2)).to.deep.equal({ hits: 2, hitsInFreeQueue: 2 });
    // Two never-used blocks go first; the third allocation evicts the request's tail block first.
    kv.allocate(2);
    expect(kv.match([111, 222], 2).hits).to.equal(2);
    kv.allocate(1);
    expect(kv.match([111, 222], 2).hits).to.equal(1);
  });

  it('acquiring a cached free block takes it out of the free queue', () => {
    const kv = createKvCache(2, 16);
    const [b] = kv.allocate(1)!;
    kv.register(b, 5);
    kv.release([b]);
    const got = kv.acquireCached([5], 1);
    expect(got).to.deep.equal([b]);
    expect(kv.usedCount()).to.equal(1);
    expect(kv.allocate(2)).to.equal(null);
  });
});
