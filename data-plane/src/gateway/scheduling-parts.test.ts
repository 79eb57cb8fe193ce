// Pure parts of the scheduler wiring: peers' in-flight fold and message decoding, applying a
// scheduler config value (bad ones keep the old), sample-rate parsing, per-plugin histogram.
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { createScheduler, type ConfigurableScheduler } from '../scheduler/index.js';
import { applySchedulerValue, parseSampleRate } from './config-watcher.js';
import { LoadBook } from './load.js';
import { decodeInflight, inflightSubject, PeerInflightBook, placementSubject } from './peer-sync.js';
import { SchedulerMetrics } from './scheduler-metrics.js';

describe('gateway scheduling parts', () => {
  describe('peers’ in-flight fold', () => {
    it('sums live peers per endpoint, forgets a peer on an empty message or after the TTL', () => {
      const book = new PeerInflightBook();
      book.update({ v: 1, gateway: 'a', timeMs: 0, inFlight: { e0: 2, e1: 1 } }, 1000);
      book.update({ v: 1, gateway: 'b', timeMs: 0, inFlight: { e0: 3 } }, 1100);
      expect([...book.totals()]).to.deep.equal([['e0', 5], ['e1', 1]]);
      book.update({ v: 1, gateway: 'a', timeMs: 0, inFlight: { e1: 4 } }, 1200);
      expect(Object.fromEntries(book.totals())).to.deep.equal({ e0: 3, e1: 4 });
      expect(book.expire(2100, 1000)).to.equal(false);
      expect(book.expire(2101, 1000)).to.equal(true);
      expect(Object.fromEntries(book.totals())).to.deep.equal({ e1: 4 });
      book.update({ v: 1, gateway: 'a', timeMs: 0, inFlight: {} }, 2200);
      expect(book.totals().size).to.equal(0);
      expect(book.ages(2300)).to.deep.equal({});
    });

    it('adds peers’ counts to the views the scheduler gets, and keeps its own apart', () => {
      const load = new LoadBook();
      load.acquire('e0');
      load.setPeerInFlight(new Map([['e0', 2], ['e1', 5]]));
      const views = load.views({ name: 's', namespace: 'default', engine: 'vLLM', endpoints: [{ id: 'e0', address: 'http://x', role: 'both' }, { id: 'e1', address: 'http://y', role: 'both' }] }, 0);
      expect(views.map((v) => v.inFlight)).to.deep.equal([3, 5]);
      expect([...load.ownInFlight()]).to.deep.equal([['e0', 1]]);
      expect(load.debug(0)).to.deep.equal({ e0: { inFlight: 1, peerInFlight: 2 }, e1: { inFlight: 0, peerInFlight: 5 } });
    });

    const cases: Array<{ name: string; data: string; ok: boolean }> = [
      { name: 'a valid message', data: '{"v":1,"gateway":"a","timeMs":1,"inFlight":{"e0":2}}', ok: true },
      { name: 'not JSON', data: '{', ok: false },
      { name: 'another version', data: '{"v":2,"gateway":"a","inFlight":{}}', ok: false },
      { name: 'no gateway', data: '{"v":1,"inFlight":{}}', ok: false },
      { name: 'a negative count', data: '{"v":1,"gateway":"a","inFlight":{"e0":-1}}', ok: false },
      { name: 'a fractional count', data: '{"v":1,"gateway":"a","inFlight":{"e0":0.5}}', ok: false },
      { name: 'inFlight null', data: '{"v":1,"gateway":"a","inFlight":null}', ok: false },
    ];
    for (const tc of cases) {
      it(`decodes ${tc.name}: ${tc.ok ? 'accepted' : 'ignored'}`, () => {
        expect(decodeInflight(tc.data) !== null).to.equal(tc.ok);
      });
    }

    it('uses subjects outside every stream (mi.placements.>, mi.inflight.>)', () => {
      expect(placementSubject('default', 'llama')).to.equal('mi.placements.gateway.default.llama');
      expect(inflightSubject('gw-1')).to.equal('mi.inflight.gateway.gw-1');
    });
  });

  describe('applying a scheduler config value', () => {
    let s: ConfigurableScheduler;
    before(async () => {
      s = await createScheduler('default');
    });
    const cases: Array<{ name: string; text: string | null; ok: boolean; scorers: string[]; problem?: RegExp }> = [
      { name: 'a profile name', text: 'round-robin', ok: true, scorers: ['round-robin'] },
      { name: 'not YAML', text: 'scorers: [', ok: false, scorers: ['round-robin'], problem: /not valid YAML\/JSON/ },
      { name: 'an unknown profile', text: 'fastest', ok: false, scorers: ['round-robin'], problem: /unknown profile "fastest"/ },
      { name: 'a scorer without weight', text: '{"scorers":[{"name":"kv-cache"}],"picker":{"name":"max-score"}}', ok: false, scorers: ['round-robin'], problem: /weight/ },
      { name: 'a JSON config', text: '{"scorers":[{"name":"kv-cache","weight":2}],"picker":{"name":"max-score"}}', ok: true, scorers: ['kv-cache'] },
      { name: 'an empty value', text: '', ok: false, scorers: ['kv-cache'] },
      { name: 'a deleted key (back to the start-up config)', text: null, ok: true, scorers: ['least-request'] },
    ];
    for (const tc of cases) {
      it(`${tc.name}: ${tc.ok ? 'applied' : 'rejected, old config kept'}`, () => {
        const out = applySchedulerValue(s, tc.text, 'least-request');
        expect(out.ok).to.equal(tc.ok);
        if (!out.ok) {
          expect(out.error.code).to.equal('MI_ERR_SCHEDULER_CONFIG');
          if (tc.problem) expect(out.error.message).to.match(tc.problem);
        }
        expect(s.config().scorers.map((x) => x.name)).to.deep.equal(tc.scorers);
      });
    }
  });

  describe('sample rate values', () => {
    const cases: Array<[string, number | null]> = [['0', 0], ['0.25', 0.25], ['1', 1], [' 1 ', 1], ['', null], ['1.5', null], ['-0.1', null], ['all', null], ['NaN', null]];
    for (const [text, want] of cases) it(`${JSON.stringify(text)} -> ${want}`, () => expect(parseSampleRate(text)).to.equal(want));
  });

  it('times each plugin into one histogram labelled by plugin', async () => {
    const registry = new Registry();
    const m = new SchedulerMetrics(registry);
    const s = await createScheduler('default', { onPluginTime: m.onPluginTime });
    const views = ['e0', 'e1'].map((id) => ({ id, address: `http://${id}`, modelServer: 's', role: 'both' as const, pdGroup: undefined, adapters: [], inFlight: 0, waiting: 0, running: 0, kvUsage: 0, ttftMs: undefined, tpotMs: undefined, kvBlocks: undefined, sampleAgeMs: Infinity }));
    for (let i = 0; i < 3; i++) s.schedule({ requestId: `r${i}`, model: 'm', headers: {}, promptText: 'hello', nowMs: 0, random: 0.5 }, views);
    const text = await registry.metrics();
    for (const plugin of ['lora-affinity', 'prefix-cache', 'least-request', 'kv-cache', 'max-score']) {
      expect(text).to.match(new RegExp(`mi_gateway_scheduler_plugin_duration_seconds_count\\{plugin="${plugin}"\\} 3`));
    }
  });
});
