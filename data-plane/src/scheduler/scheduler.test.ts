import { expect } from 'chai';
import fc from 'fast-check';
import { createDefaultRegistry } from './builtins.js';
import { parseSchedulerConfigText } from './config.js';
import { DEFAULT_SCHEDULER_CONFIG, SCHEDULER_PROFILES } from './profiles.js';
import { SchedulerConfigError, PluginRegistrationError } from './errors.js';
import { createRegistry } from './registry.js';
import { createScheduler, createSchedulerSync } from './scheduler.js';
import { endpoint, fnvHasher, request } from './testing.js';
import type { Scorer } from './types.js';

function fixedScorer(name: string, byId: Record<string, number>): Scorer {
  return { name, score: (_req, eps) => eps.map((e) => byId[e.id] ?? 0) };
}

function registryWith(...scorers: Scorer[]) {
  const r = createDefaultRegistry();
  for (const s of scorers) r.register({ kind: 'scorer', name: s.name, description: 'test', create: () => s });
  return r;
}

describe('scheduler framework', () => {
  it('the least-request profile orders all endpoints by load', async () => {
    const s = await createScheduler('least-request');
    const eps = [endpoint('a', { inFlight: 5 }), endpoint('b', { inFlight: 1 }), endpoint('c', { inFlight: 3 })];
    const res = s.schedule(request(), eps);
    expect(res.candidates.map((e) => e.id)).to.deep.equal(['b', 'c', 'a']);
    expect(res.explain.picked).to.equal('b');
    expect(res.explain.scored[0].scores['least-request']).to.equal(1);
  });

  it('returns no candidate and picked null for no endpoints', async () => {
    const s = await createScheduler();
    const res = s.schedule(request(), []);
    expect(res.candidates).to.deep.equal([]);
    expect(res.explain.picked).to.equal(null);
  });

  const weightCases = [
    { name: 'heavier weight wins', wx: 3, wy: 1, want: 'a' },
    { name: 'weights reversed flip the pick', wx: 1, wy: 3, want: 'b' },
  ];
  for (const tc of weightCases) {
    it(`weighted sum: ${tc.name}`, () => {
      const registry = registryWith(fixedScorer('x', { a: 1, b: 0 }), fixedScorer('y', { a: 0, b: 1 }));
      const s = createSchedulerSync(
        { scorers: [{ name: 'x', weight: tc.wx }, { name: 'y', weight: tc.wy }], picker: { name: 'max-score' } },
        { registry, hasher: fnvHasher() },
      );
      const res = s.schedule(request(), [endpoint('a'), endpoint('b')]);
      expect(res.explain.picked).to.equal(tc.want);
      const a = res.explain.scored.find((x) => x.endpoint.id === 'a');
      expect(a?.total).to.equal(tc.wx);
    });
  }

  const clampCases = [
    { raw: 7, want: 1 },
    { raw: -2, want: 0 },
    { raw: Number.NaN, want: 0 },
    { raw: 0.25, want: 0.25 },
  ];
  for (const tc of clampCases) {
    it(`clamps scorer output ${tc.raw} to ${tc.want}`, () => {
      const registry = registryWith(fixedScorer('x', { a: tc.raw }));
      const s = createSchedulerSync(
        { scorers: [{ name: 'x', weight: 2 }], picker: { name: 'max-score' } },
        { registry, hasher: fnvHasher() },
      );
      const res = s.schedule(request(), [endpoint('a')]);
      expect(res.explain.scored[0].scores.x).to.equal(tc.want);
      expect(res.explain.scored[0].total).to.equal(2 * tc.want);
    });
  }

  const badConfigs: { name: string; config: unknown; match: RegExp }[] = [
    { name: 'scorer without weight', config: { scorers: [{ name: 'least-request' }], picker: { name: 'max-score' } }, match: /\/scorers\/0: missing required property "weight"/ },
    { name: 'unknown scorer', config: { scorers: [{ name: 'nope', weight: 1 }], picker: { name: 'max-score' } }, match: /unknown scorer "nope" \(known: .*least-request/ },
    { name: 'unknown picker', config: { scorers: [], picker: { name: 'best' } }, match: /\/picker\/name: unknown picker "best"/ },
    { name: 'unknown filter', config: { filters: [{ name: 'gone' }], scorers: [], picker: { name: 'max-score' } }, match: /unknown filter "gone"/ },
    { name: 'negative weight', config: { scorers: [{ name: 'least-request', weight: -1 }], picker: { name: 'max-score' } }, match: /\/scorers\/0\/weight: must be >= 0/ },
    { name: 'bad plugin params', config: { scorers: [{ name: 'least-request', weight: 1, params: { waitingWeight: 'x' } }], picker: { name: 'max-score' } }, match: /\/scorers\/0\/params\/waitingWeight: must be number \(scorer "least-request"\)/ },
    { name: 'unknown top-level field', config: { scorers: [], picker: { name: 'max-score' }, extra: 1 }, match: /unknown property "extra"/ },
    { name: 'missing picker', config: { scorers: [] }, match: /missing required property "picker"/ },
    { name: 'scorer listed twice', config: { scorers: [{ name: 'least-request', weight: 1 }, { name: 'least-request', weight: 2 }], picker: { name: 'max-score' } }, match: /listed twice/ },
    { name: 'unknown profile name', config: 'fastest', match: /unknown profile "fastest"/ },
  ];
  for (const tc of badConfigs) {
    it(`rejects a bad config: ${tc.name}`, () => {
      let err: unknown;
      try {
        createSchedulerSync(tc.config, { hasher: fnvHasher() });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(SchedulerConfigError);
      expect((err as SchedulerConfigError).code).to.equal('MI_ERR_SCHEDULER_CONFIG');
      expect((err as Error).message).to.match(tc.match);
    });
  }

  it('reconfigure with a bad config throws and keeps the old config in force', () => {
    const s = createSchedulerSync('least-request', { hasher: fnvHasher() });
    const before = s.config();
    expect(() => s.reconfigure({ scorers: [{ name: 'least-request' }], picker: { name: 'max-score' } })).to.throw(SchedulerConfigError);
    expect(s.config()).to.deep.equal(before);
    const res = s.schedule(request(), [endpoint('a', { inFlight: 2 }), endpoint('b')]);
    expect(res.explain.picked).to.equal('b');
  });

  it('reconfigure with a good config applies it', () => {
    const registry = registryWith(fixedScorer('x', { a: 1, b: 0 }));
    const s = createSchedulerSync('least-request', { registry, hasher: fnvHasher() });
    const eps = [endpoint('a', { inFlight: 9 }), endpoint('b')];
    expect(s.schedule(request(), eps).explain.picked).to.equal('b');
    s.reconfigure({ scorers: [{ name: 'x', weight: 1 }], picker: { name: 'max-score' } });
    expect(s.schedule(request(), eps).explain.picked).to.equal('a');
  });

  it('registering a name twice throws', () => {
    const r = createRegistry();
    const spec = { kind: 'scorer' as const, name: 'x', description: 't', create: () => fixedScorer('x', {}) };
    r.register(spec);
    expect(() => r.register(spec)).to.throw(PluginRegistrationError, /scorer plugin "x" is already registered/);
  });

  it('the same name may exist once per kind', () => {
    const r = createRegistry();
    r.register({ kind: 'scorer', name: 'x', description: 't', create: () => fixedScorer('x', {}) });
    expect(() => r.register({ kind: 'filter', name: 'x', description: 't', create: () => ({ name: 'x', filter: (_q, e) => [...e] }) })).to.not.throw();
  });

  it('reports each plugin time through onPluginTime', () => {
    const times: [string, number][] = [];
    let t = 0;
    const s = createSchedulerSync('least-request', {
      hasher: fnvHasher(),
      onPluginTime: (p, sec) => times.push([p, sec]),
      clockSeconds: () => (t += 0.5),
    });
    s.schedule(request(), [endpoint('a')]);
    expect(times).to.deep.equal([['least-request', 0.5], ['max-score', 0.5]]);
  });

  it('times plugins on 1 request in timeEvery, starting with the first', () => {
    const timed: string[] = [];
    const s = createSchedulerSync('least-request', {
      hasher: fnvHasher(),
      onPluginTime: (p) => timed.push(p),
      timeEvery: 3,
    });
    for (let i = 0; i < 7; i++) s.schedule(request(), [endpoint('a')]);
    // Requests 1, 4 and 7 are timed: two plugins each.
    expect(timed).to.have.length(6);
  });

  it('refuses a timeEvery that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, NaN]) expect(() => createSchedulerSync('least-request', { hasher: fnvHasher(), timeEvery: bad })).to.throw(RangeError);
  });

  it('ties are broken by the request random draw, deterministically', () => {
    const s = createSchedulerSync('least-request', { hasher: fnvHasher() });
    const eps = ['a', 'b', 'c', 'd'].map((id) => endpoint(id));
    const picks = new Set<string>();
    for (let i = 0; i < 40; i++) picks.add(s.schedule(request({ random: i / 40 }), eps).explain.picked ?? '');
    expect(picks.size).to.be.greaterThan(2);
    const again = s.schedule(request({ random: 0.3 }), eps).explain.picked;
    expect(s.schedule(request({ random: 0.3 }), eps).explain.picked).to.equal(again);
  });

  const texts = [
    { name: 'YAML document', text: 'scorers:\n  - name: kv-cache\n    weight: 1\npicker:\n  name: max-score\n', scorer: 'kv-cache' },
    { name: 'JSON document', text: '{"scorers":[{"name":"random","weight":1}],"picker":{"name":"max-score"}}', scorer: 'random' },
    { name: 'a profile name', text: 'round-robin\n', scorer: 'round-robin' },
  ];
  for (const tc of texts) {
    it(`applies a config from text: ${tc.name}`, () => {
      const s = createSchedulerSync(undefined, { hasher: fnvHasher() });
      s.reconfigure(parseSchedulerConfigText(new TextEncoder().encode(tc.text)));
      expect(s.config().scorers.map((x) => x.name)).to.deep.equal([tc.scorer]);
    });
  }

  it('text that is not YAML is a config error', () => {
    expect(() => parseSchedulerConfigText('{ scorers: [')).to.throw(SchedulerConfigError, /not valid YAML\/JSON/);
  });

  it('every named profile is valid, and the default is the default profile', () => {
    for (const name of Object.keys(SCHEDULER_PROFILES)) {
      const s = createSchedulerSync(name, { hasher: fnvHasher() });
      expect(s.schedule(request(), [endpoint('a'), endpoint('b')]).candidates).to.have.length(2);
    }
    expect(createSchedulerSync(undefined, { hasher: fnvHasher() }).config()).to.deep.equal(DEFAULT_SCHEDULER_CONFIG);
  });

  it('a config object mutated after validation does not change the live config', () => {
    const cfg = { scorers: [{ name: 'least-request', weight: 1 }], picker: { name: 'max-score' } };
    const s = createSchedulerSync(cfg, { hasher: fnvHasher() });
    cfg.scorers[0].weight = 99;
    expect(s.config().scorers[0].weight).to.equal(1);
  });

  it('learned prefix placements survive a live reconfiguration', () => {
    const s = createSchedulerSync('default', { hasher: fnvHasher() });
    const prompt = 'p'.repeat(64 * 10);
    s.observe(request({ promptText: prompt }), endpoint('b'), { ok: true, status: 200 });
    s.reconfigure('prefix-cache');
    const res = s.schedule(request({ promptText: prompt, random: 0.99 }), [endpoint('a'), endpoint('b'), endpoint('c')]);
    expect(res.explain.picked).to.equal('b');
  });

  it('place() orders exactly as schedule() and learns the same placements, without the explanation', () => {
    // Two schedulers fed the same requests, one explained and one not: every order must match,
    // which also proves place() records prefix placements (later orders depend on them).
    const ids = ['a', 'b', 'c', 'd'];
    const step = fc.record({
      prompt: fc.constantFrom('', 'x'.repeat(70), 'y'.repeat(200), 'x'.repeat(70) + 'z'.repeat(70)),
      random: fc.double({ min: 0, max: 0.999, noNaN: true }),
      inFlight: fc.array(fc.integer({ min: 0, max: 80 }), { minLength: 4, maxLength: 4 }),
      adapter: fc.constantFrom(undefined, 'lora-1'),
      n: fc.integer({ min: 0, max: 4 }),
      // A failed outcome records nothing: then only the placement at pick time is learned.
      ok: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
        const explained = createSchedulerSync('default', { hasher: fnvHasher() });
        const placed = createSchedulerSync('default', { hasher: fnvHasher() });
        for (const [k, st] of steps.entries()) {
          const eps = ids.slice(0, st.n).map((id, i) => endpoint(id, { inFlight: st.inFlight[i], adapters: i === 1 ? ['lora-1'] : [] }));
          const req = () => request({ requestId: `r${k}`, promptText: st.prompt, random: st.random, adapter: st.adapter, model: 'm' });
          const a = explained.schedule(req(), eps);
          const b = placed.place(req(), eps);
          expect(b.candidates.map((e) => e.id)).to.deep.equal(a.candidates.map((e) => e.id));
          expect(b).not.to.have.property('explain');
          if (a.candidates[0]) {
            const outcome = st.ok ? { ok: true, status: 200 } : { ok: false, status: 503 };
            explained.observe(req(), a.candidates[0], outcome);
            placed.observe(req(), b.candidates[0], outcome);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
