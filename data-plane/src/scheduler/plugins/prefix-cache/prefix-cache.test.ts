import { expect } from 'chai';
import { encodePlacement, applyPeerPlacement } from '../../placement.js';
import { createPrefixIndex, type Placement } from '../../prefix-index.js';
import { createSchedulerSync } from '../../scheduler.js';
import { endpoint as ep, fnvHasher, request } from '../../testing.js';
import { promptBlockHashes } from './blocks.js';
import { guardedScores, isHotspot, prefixCache, DEFAULT_HOTSPOT_GUARD } from './index.js';

const hasher = fnvHasher();
const bp = { blockChars: 64, maxBlocks: 256 };
const text = (seed: string, chars: number) => seed.repeat(Math.ceil(chars / seed.length)).slice(0, chars);
const SYSTEM = text('You are a careful assistant for group 7. ', 64 * 30); // 30 blocks
const ok = { ok: true, status: 200 };

describe('prefix-cache: block hashing', () => {
  const cases = [
    { name: 'full blocks only, trailing partial ignored', chars: 64 * 3 + 10, want: 3 },
    { name: 'shorter than a block: none', chars: 63, want: 0 },
    { name: 'capped at maxBlocks', chars: 64 * 300, want: 256 },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      expect(promptBlockHashes(hasher, 'm', text('abc', tc.chars), bp)).to.have.length(tc.want);
    });
  }

  it('chained: a shared prefix shares leading hashes, then diverges for good', () => {
    const a = promptBlockHashes(hasher, 'm', SYSTEM + text('question one ', 200), bp);
    const b = promptBlockHashes(hasher, 'm', SYSTEM + text('other thing ', 200), bp);
    expect(a.slice(0, 30)).to.deep.equal(b.slice(0, 30));
    expect(a[30]).to.not.equal(b[30]);
    // Same block text after a divergence still hashes differently (chain).
    const c = promptBlockHashes(hasher, 'm', text('x', 64) + text('y', 64), bp);
    const d = promptBlockHashes(hasher, 'm', text('z', 64) + text('y', 64), bp);
    expect(c[1]).to.not.equal(d[1]);
  });

  it('seeded with the model name', () => {
    expect(promptBlockHashes(hasher, 'm1', SYSTEM, bp)[0]).to.not.equal(promptBlockHashes(hasher, 'm2', SYSTEM, bp)[0]);
  });
});

describe('prefix-cache: scores', () => {
  const hashes = promptBlockHashes(hasher, 'm', SYSTEM, bp); // 30 blocks
  const cases = [
    { name: 'nobody warm: all 0', held: {} as Record<string, number>, want: { a: 0, b: 0 } },
    { name: 'full match scores 1', held: { a: 30 }, want: { a: 1, b: 0 } },
    { name: 'partial leading match scores matched/total', held: { a: 15, b: 30 }, want: { a: 0.5, b: 1 } },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const index = createPrefixIndex();
      for (const [id, n] of Object.entries(tc.held)) index.recordPlacement(id, hashes.slice(0, n));
      const scorer = prefixCache.create({}, { hasher, prefixIndex: index, nowMs: () => 0 });
      const got = scorer.score(request({ promptText: SYSTEM }), [ep('a'), ep('b')]);
      expect(got).to.deep.equal([tc.want.a, tc.want.b]);
    });
  }

  it('a prompt shorter than one block scores 0 everywhere', () => {
    const scorer = prefixCache.create({}, { hasher, prefixIndex: createPrefixIndex(), nowMs: () => 0 });
    expect(scorer.score(request({ promptText: 'hi' }), [ep('a')])).to.deep.equal([0]);
  });

  it('match stops at the first block the endpoint lacks', () => {
    const index = createPrefixIndex();
    index.recordPlacement('a', [hashes[0], hashes[1], hashes[3]]);
    expect(index.matchLength('a', hashes)).to.equal(2);
  });
});

describe('prefix-cache: hotspot guard', () => {
  const g = DEFAULT_HOTSPOT_GUARD; // more than 32 extra in flight and more than 2x the coldest
  const cases = [
    { name: 'balanced: affinity kept', inFlight: 5, min: 3, hot: false },
    { name: 'far ahead of an idle endpoint', inFlight: 33, min: 0, hot: true },
    { name: 'exactly 32 over an idle endpoint: kept', inFlight: 32, min: 0, hot: false },
    { name: 'small absolute gap, big ratio: kept', inFlight: 20, min: 2, hot: false },
    { name: 'large absolute gap but small ratio (all busy): kept', inFlight: 150, min: 100, hot: false },
    { name: 'large gap and ratio: yields', inFlight: 90, min: 40, hot: true },
    { name: 'exactly twice: kept', inFlight: 80, min: 40, hot: false },
  ];
  for (const tc of cases) {
    it(tc.name, () => expect(isHotspot(tc.inFlight, tc.min, g)).to.equal(tc.hot));
  }

  it('guard zeroes only the saturated warm endpoints', () => {
    expect(guardedScores([1, 0.5, 0], [40, 2, 0], g)).to.deep.equal([0, 0.5, 0]);
    expect(guardedScores([1, 0.5, 0], [40, 2, 0], null)).to.deep.equal([1, 0.5, 0]);
  });
});

describe('prefix-cache: in the default profile', () => {
  const eps = (loads: number[]) => loads.map((l, i) => ep(`e${i}`, { inFlight: l }));

  it('same prompt prefix goes to the same endpoint, even when it is a bit busier', () => {
    const s = createSchedulerSync('default', { hasher });
    const first = s.schedule(request({ promptText: SYSTEM + 'Q1 what is up?', random: 0.1 }), eps([0, 0, 0, 0]));
    const warm = first.candidates[0];
    s.observe(request({ promptText: SYSTEM + 'Q1 what is up?' }), warm, ok);
    for (let i = 0; i < 10; i++) {
      const loads = [2, 2, 2, 2];
      loads[Number(warm.id.slice(1))] = 4;
      const res = s.schedule(request({ promptText: `${SYSTEM}Q${i} another question`, random: i / 10 }), eps(loads));
      expect(res.explain.picked).to.equal(warm.id);
      expect(res.explain.scored[0].scores['prefix-cache']).to.be.greaterThan(0.9);
    }
  });

  it('hotspot guard kicks in under imbalance: the warm endpoint yields to the coldest', () => {
    const s = createSchedulerSync('default', { hasher });
    s.observe(request({ promptText: SYSTEM }), ep('e0'), ok);
    const res = s.schedule(request({ promptText: SYSTEM + 'next' }), eps([40, 3, 2, 1]));
    expect(res.explain.picked).to.equal('e3');
    const warm = res.explain.scored.find((x) => x.endpoint.id === 'e0');
    expect(warm?.scores['prefix-cache']).to.equal(0);
    expect(res.explain.notes?.['prefix-cache']).to.deep.equal([
      'hotspot guard: ignored 1.00 affinity to e0 (40 in flight vs coldest 1)',
    ]);
    // The yielded request was recorded on e3 at the pick: e3 is now warm too, and least loaded.
    expect(s.prefixIndex.size('e3')).to.equal(30);
    const calm = s.schedule(request({ promptText: SYSTEM + 'next' }), eps([4, 3, 2, 1]));
    expect(calm.explain.picked).to.equal('e3');
    expect(calm.explain.scored.find((x) => x.endpoint.id === 'e0')?.scores['prefix-cache']).to.equal(1);
    expect(calm.explain.notes).to.equal(undefined);
  });

  it('a failed request records nothing', () => {
    const s = createSchedulerSync('default', { hasher });
    s.observe(request({ promptText: SYSTEM }), ep('e0'), { ok: false, status: 502 });
    expect(s.prefixIndex.size('e0')).to.equal(0);
  });

  it('records the pick at scheduling time: a concurrent request with the same prefix follows it', () => {
    const s = createSchedulerSync('default', { hasher });
    const first = s.schedule(request({ promptText: SYSTEM + 'one', random: 0.2 }), eps([0, 0, 0, 0]));
    const loads = [0, 0, 0, 0];
    loads[Number(first.explain.picked?.slice(1))] = 1; // the first is still in flight
    const second = s.schedule(request({ promptText: SYSTEM + 'two', random: 0.8 }), eps(loads));
    expect(second.explain.picked).to.equal(first.explain.picked);
  });

  const recordOnCases = [
    { recordOn: 'pick', afterPick: 30, afterOk: 30 },
    { recordOn: 'success', afterPick: 0, afterOk: 30 },
  ];
  for (const tc of recordOnCases) {
    it(`recordOn ${tc.recordOn}: blocks held after the pick and after success`, () => {
      const s = createSchedulerSync(
        { scorers: [{ name: 'prefix-cache', weight: 1, params: { recordOn: tc.recordOn } }], picker: { name: 'max-score' } },
        { hasher },
      );
      const req = request({ promptText: SYSTEM });
      const res = s.schedule(req, [ep('e0')]);
      expect(s.prefixIndex.size('e0')).to.equal(tc.afterPick);
      s.observe(req, res.candidates[0], ok);
      expect(s.prefixIndex.size('e0')).to.equal(tc.afterOk);
    });
  }

  it('after a failover the endpoint that served is recorded too', () => {
    const s = createSchedulerSync('default', { hasher });
    const req = request({ promptText: SYSTEM });
    const res = s.schedule(req, eps([0, 5]));
    expect(res.explain.picked).to.equal('e0');
    s.observe(req, res.candidates[1], ok);
    expect(s.prefixIndex.size('e0')).to.equal(30);
    expect(s.prefixIndex.size('e1')).to.equal(30);
  });

  it('different prefixes spread by load', () => {
    const s = createSchedulerSync('default', { hasher });
    s.observe(request({ promptText: SYSTEM }), ep('e0'), ok);
    const res = s.schedule(request({ promptText: text('Completely different system prompt. ', 2000) }), eps([3, 0, 3, 3]));
    expect(res.explain.picked).to.equal('e1');
  });
});

describe('prefix index: LRU per endpoint', () => {
  const A = promptBlockHashes(hasher, 'm', text('alpha ', 64 * 6), bp);
  const B = promptBlockHashes(hasher, 'm', text('bravo ', 64 * 6), bp);

  it('evicts least recently used blocks beyond capacity (from kvBlocks)', () => {
    const index = createPrefixIndex();
    index.recordPlacement('a', A, { capacityBlocks: 8 });
    index.recordPlacement('a', B, { capacityBlocks: 8 });
    expect(index.size('a')).to.equal(8);
    expect(index.matchLength('a', B)).to.equal(6);
    // A's leading blocks were set last-to-first, so its two tail blocks went first... and then
    // the LRU continued: what is left of A is its two most recently set (leading) blocks.
    expect(index.matchLength('a', A)).to.equal(2);
  });

  it('scorer sizes the LRU from the endpoint kvBlocks', () => {
    const s = createSchedulerSync('prefix-cache', { hasher });
    s.observe(request({ promptText: text('alpha ', 64 * 6) }), ep('a', { kvBlocks: 4 }), ok);
    expect(s.prefixIndex.size('a')).to.equal(4);
  });

  it('default capacity is 31,250 blocks', () => {
    const index = createPrefixIndex();
    index.recordPlacement('a', A);
    const many = Array.from({ length: 31_250 }, (_, i) => BigInt(i + 1));
    index.recordPlacement('a', many);
    expect(index.size('a')).to.equal(31_250);
  });

  it('a capacity change keeps the most recent blocks', () => {
    const index = createPrefixIndex();
    index.recordPlacement('a', A, { capacityBlocks: 100 });
    index.recordPlacement('a', B, { capacityBlocks: 100 });
    index.recordPlacement('a', [], { capacityBlocks: 6 });
    expect(index.matchLength('a', B)).to.equal(6);
    expect(index.matchLength('a', A)).to.equal(0);
  });

  it('retain forgets endpoints that left', () => {
    const index = createPrefixIndex();
    index.recordPlacement('a', A);
    index.recordPlacement('b', A);
    index.retain(['b']);
    expect(index.size('a')).to.equal(0);
    expect(index.size('b')).to.equal(6);
  });
});

describe('prefix-cache: shared placements between gateway replicas', () => {
  it('a placement recorded by replica 1 steers replica 2', () => {
    const published: string[] = [];
    const index1 = createPrefixIndex({ onPlacement: (p: Placement) => published.push(encodePlacement('gw-1', p)) });
    const published2: Placement[] = [];
    const index2 = createPrefixIndex({ onPlacement: (p: Placement) => published2.push(p) });
    const gw1 = createSchedulerSync('default', { hasher, prefixIndex: index1 });
    const gw2 = createSchedulerSync('default', { hasher, prefixIndex: index2 });
    const endpoints = [ep('e0'), ep('e1', { kvBlocks: 5000 }), ep('e2'), ep('e3')];

    gw1.observe(request({ promptText: SYSTEM + 'first' }), endpoints[1], ok);
    expect(published).to.have.length(1);
    expect(JSON.parse(published[0]).capacityBlocks).to.equal(5000);
    for (const msg of published) {
      expect(applyPeerPlacement(index2, msg, 'gw-2')).to.equal(true);
    }
    expect(published2, 'peer placements are not re-published').to.have.length(0);
    const res = gw2.schedule(request({ promptText: SYSTEM + 'second', random: 0.9 }), endpoints);
    expect(res.explain.picked).to.equal('e1');
    expect(res.explain.scored[0].scores['prefix-cache']).to.be.greaterThan(0.9);
    // gw2's own pick is published for the others, once.
    expect(published2.map((p) => p.endpointId)).to.deep.equal(['e1']);
  });

  it("a replica ignores its own echoed placements", () => {
    const index = createPrefixIndex();
    const msg = encodePlacement('gw-1', { endpointId: 'e0', blockHashes: [1n, 2n] });
    expect(applyPeerPlacement(index, msg, 'gw-1')).to.equal(false);
    expect(index.size('e0')).to.equal(0);
  });
});

describe('prefix index: publication of local placements', () => {
  const A = promptBlockHashes(hasher, 'm', text('alpha ', 64 * 6), bp);
  const cases = [
    { name: 'new blocks publish at once', steps: [{ at: 0, hashes: A.slice(0, 3) }, { at: 1, hashes: A }], want: 2 },
    { name: 'an unchanged placement within 10 s publishes once', steps: [{ at: 0, hashes: A }, { at: 5_000, hashes: A }, { at: 9_999, hashes: A }], want: 1 },
    { name: 'an unchanged placement publishes again after 10 s', steps: [{ at: 0, hashes: A }, { at: 10_000, hashes: A }], want: 2 },
    { name: 'a shorter prefix already held publishes once (new key)', steps: [{ at: 0, hashes: A }, { at: 1, hashes: A.slice(0, 2) }, { at: 2, hashes: A.slice(0, 2) }], want: 2 },
    { name: 'nothing to publish for an empty placement', steps: [{ at: 0, hashes: [] as bigint[] }], want: 0 },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      let now = 0;
      const published: Placement[] = [];
      const index = createPrefixIndex({ onPlacement: (p) => published.push(p), nowMs: () => now });
      for (const st of tc.steps) {
        now = st.at;
        index.recordPlacement('e0', st.hashes);
      }
      expect(published).to.have.length(tc.want);
    });
  }

  it('peer placements are never published', () => {
    const published: Placement[] = [];
    const index = createPrefixIndex({ onPlacement: (p) => published.push(p) });
    index.recordPlacement('e0', A, { source: 'peer' });
    expect(published).to.have.length(0);
    expect(index.size('e0')).to.equal(6);
  });
});
