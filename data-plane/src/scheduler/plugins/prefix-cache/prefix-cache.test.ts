import { expect } from 'chai';
import { encodePlacement, applyPeerPlacement } from '../../placement.js';
import { createPrefixIndex, type Placement } from '../../prefix-index.js';
import { createSchedulerSync } from '../../scheduler.js';
import { endpoint as ep, fnvHasher, request } from '../../testing.js';
import { modelSeed, promptBlockHashes, SeedMemo } from './blocks.js';
import { DEFAULT_HOME_RULE, homeInBand, homeIndex, homeKey } from './home.js';
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

  it('a memoized seed hashes as the model name does, and is computed once per model', () => {
    let calls = 0;
    const counting = { h64: (s: string, seed: bigint) => (calls++, hasher.h64(s, seed)) };
    const memo = new SeedMemo(counting);
    expect(memo.get('m1')).to.equal(modelSeed(hasher, 'm1'));
    expect(memo.get('m1')).to.equal(modelSeed(hasher, 'm1'));
    expect(memo.get('m2')).to.equal(modelSeed(hasher, 'm2'));
    expect(calls).to.equal(2);
    expect(promptBlockHashes(hasher, 'm1', SYSTEM, bp, memo.get('m1'))).to.deep.equal(promptBlockHashes(hasher, 'm1', SYSTEM, bp));
  });

  it('a prompt shorter than a block costs no hash at all', () => {
    let calls = 0;
    const counting = { h64: (s: string, seed: bigint) => (calls++, hasher.h64(s, seed)) };
    expect(promptBlockHashes(counting, 'm', 'short', bp)).to.deep.equal([]);
    expect(calls).to.equal(0);
  });
});

describe('prefix-cache: scores', () => {
  const hashes = promptBlockHashes(hasher, 'm', SYSTEM, bp); // 30 blocks
  const cases = [
    { name: 'nobody warm, home rule off: all 0', held: {} as Record<string, number>, want: { a: 0, b: 0 } },
    { name: 'full match scores 1', held: { a: 30 }, want: { a: 1, b: 0 } },
    { name: 'partial leading match scores matched/total', held: { a: 15, b: 30 }, want: { a: 0.5, b: 1 } },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const index = createPrefixIndex();
      for (const [id, n] of Object.entries(tc.held)) index.recordPlacement(id, hashes.slice(0, n));
      const scorer = prefixCache.create({ home: { enabled: false } }, { hasher, prefixIndex: index, nowMs: () => 0 });
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
    const res = s.schedule(req, eps([0, 20])); // e1 is far over the home band
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

describe('prefix-cache: home of a brand-new prefix', () => {
  const ids = ['e0', 'e1', 'e2', 'e3'];
  const keys = Array.from({ length: 400 }, (_, i) => hasher.h64(`prefix ${i}`, 0n));

  it('every replica computes the same home, whatever the order of the endpoints', () => {
    for (const k of keys.slice(0, 50)) {
      const a = ids[homeIndex(hasher, k, ids)];
      const reversed = [...ids].reverse();
      expect(reversed[homeIndex(hasher, k, reversed)]).to.equal(a);
    }
  });

  it('removing an endpoint moves only the prefixes whose home it was', () => {
    let moved = 0;
    for (const k of keys) {
      const before = ids[homeIndex(hasher, k, ids)];
      const rest = ids.filter((id) => id !== 'e2');
      const after = rest[homeIndex(hasher, k, rest)];
      if (before !== 'e2') expect(after).to.equal(before);
      else moved++;
    }
    expect(moved).to.be.within(60, 140); // about a quarter of 400
  });

  it('spreads prefixes over the endpoints', () => {
    const counts = new Map<string, number>();
    for (const k of keys) counts.set(ids[homeIndex(hasher, k, ids)], (counts.get(ids[homeIndex(hasher, k, ids)]) ?? 0) + 1);
    for (const id of ids) expect(counts.get(id), id).to.be.within(70, 130);
  });

  it('an ineligible home falls to the next endpoint in the same order (as if it were gone)', () => {
    for (const k of keys.slice(0, 50)) {
      const first = homeIndex(hasher, k, ids);
      const next = homeIndex(hasher, k, ids, (i) => i !== first);
      const without = ids.filter((_, i) => i !== first);
      expect(ids[next]).to.equal(without[homeIndex(hasher, k, without)]);
    }
    expect(homeIndex(hasher, keys[0], ids, () => false)).to.equal(-1);
  });

  const keyCases = [
    { name: 'no blocks: no key', n: 0, blocks: 4, want: undefined },
    { name: 'shorter than the key blocks: the last block', n: 2, blocks: 4, want: 1 },
    { name: 'longer: the chained hash of the first blocks', n: 10, blocks: 4, want: 3 },
    { name: 'one block', n: 10, blocks: 1, want: 0 },
  ];
  for (const tc of keyCases) {
    it(`key: ${tc.name}`, () => {
      const hs = Array.from({ length: tc.n }, (_, i) => BigInt(i + 100));
      expect(homeKey(hs, tc.blocks)).to.equal(tc.want === undefined ? undefined : hs[tc.want]);
    });
  }

  const band = { ...DEFAULT_HOME_RULE, maxExtraInFlight: 8 };
  const bandCases = [
    { name: 'idle cluster', inFlight: 0, min: 0, want: true },
    { name: 'at the limit', inFlight: 8, min: 0, want: true },
    { name: 'one over the limit', inFlight: 9, min: 0, want: false },
    { name: 'busy but close to the coldest', inFlight: 70, min: 64, want: true },
    { name: 'busy and far above the coldest', inFlight: 80, min: 64, want: false },
  ];
  for (const tc of bandCases) {
    it(`band: ${tc.name}`, () => expect(homeInBand(tc.inFlight, tc.min, band)).to.equal(tc.want));
  }

  const NEW = text('A brand-new system prompt nobody has seen. ', 64 * 20);
  const homeOf = (prompt: string, among: string[]): string =>
    among[homeIndex(hasher, homeKey(promptBlockHashes(hasher, 'm', prompt, bp), DEFAULT_HOME_RULE.blocks)!, among)];
  const scoreCases = [
    { name: 'idle: the home scores 1, the others 0', loads: [0, 0, 0, 0], home: {}, want: 'home' },
    { name: 'home a little busier (within the band): still the home', loads: [0, 0, 0, 0], busyHome: DEFAULT_HOME_RULE.maxExtraInFlight, home: {}, want: 'home' },
    { name: 'home over the band: the next in rendezvous order among those within it', loads: [0, 0, 0, 0], busyHome: DEFAULT_HOME_RULE.maxExtraInFlight + 1, home: {}, want: 'second' },
    { name: 'home disabled: all 0', loads: [0, 0, 0, 0], home: { enabled: false }, want: 'none' },
    { name: 'home score is a parameter', loads: [0, 0, 0, 0], home: { score: 0.25 }, want: 'home', score: 0.25 },
  ];
  for (const tc of scoreCases) {
    it(`score: ${tc.name}`, () => {
      const scorer = prefixCache.create({ home: tc.home }, { hasher, prefixIndex: createPrefixIndex(), nowMs: () => 0 });
      const home = homeOf(NEW, ids);
      const loads = ids.map((id) => (id === home ? tc.busyHome ?? 0 : 0));
      const got = scorer.score(request({ promptText: NEW }), ids.map((id, i) => ep(id, { inFlight: loads[i] })));
      const expected = tc.want === 'none' ? undefined : tc.want === 'home' ? home : homeOf(NEW, ids.filter((id) => id !== home));
      expect(got).to.deep.equal(ids.map((id) => (id === expected ? tc.score ?? 1 : 0)));
    });
  }

  it('a prompt whose first block an endpoint holds is not new: no home, plain match', () => {
    const index = createPrefixIndex();
    const hs = promptBlockHashes(hasher, 'm', NEW, bp);
    index.recordPlacement('e3', hs.slice(0, 1));
    const scorer = prefixCache.create({}, { hasher, prefixIndex: index, nowMs: () => 0 });
    expect(scorer.score(request({ promptText: NEW }), ids.map((id) => ep(id)))).to.deep.equal([0, 0, 0, 1 / hs.length]);
  });

  it('explain says which home was chosen', () => {
    const s = createSchedulerSync('default', { hasher });
    const res = s.schedule(request({ promptText: NEW }), ids.map((id) => ep(id, { inFlight: 1 })));
    expect(res.explain.picked).to.equal(homeOf(NEW, ids));
    expect(res.explain.notes?.['prefix-cache']).to.deep.equal([`new prefix: home ${homeOf(NEW, ids)} (1 in flight vs coldest 1)`]);
  });

  it('two replicas that share nothing send the first request of each new prefix to the same endpoint', () => {
    const a = createSchedulerSync('default', { hasher });
    const b = createSchedulerSync('default', { hasher });
    // Each replica sees only its own in-flight requests and its own (lagging) KV samples, and
    // draws its own tie-breaks: without the home rule they disagree (see the control below).
    const loads = [0, 0, 0, 0];
    const kvB = [0.4, 0, 0.6, 0.2];
    let disagreeWithoutHome = 0;
    const noHome = createSchedulerSync({ scorers: [{ name: 'prefix-cache', weight: 3, params: { home: { enabled: false } } }, { name: 'least-request', weight: 2 }, { name: 'kv-cache', weight: 1 }], picker: { name: 'max-score' } }, { hasher });
    for (let g = 0; g < 16; g++) {
      const prompt = text(`Group ${g} system prompt, a long one. `, 64 * 10) + 'question';
      const pa = a.schedule(request({ promptText: prompt, random: 0.1 }), ids.map((id, i) => ep(id, { inFlight: loads[i] }))).explain.picked!;
      const pb = b.schedule(request({ promptText: prompt, random: 0.9 }), ids.map((id, i) => ep(id, { inFlight: loads[i], kvUsage: kvB[i] }))).explain.picked!;
      expect(pb, `group ${g}`).to.equal(pa);
      const control = noHome.schedule(request({ promptText: prompt, random: 0.9 }), ids.map((id, i) => ep(id, { inFlight: loads[i], kvUsage: kvB[i] }))).explain.picked!;
      if (control !== pa) disagreeWithoutHome++;
      loads[ids.indexOf(pa)] += 1;
    }
    expect(disagreeWithoutHome).to.be.greaterThan(4);
  });
});
