import { expect } from 'chai';
import type { RouteServer } from '@matrixinfer/events';
import { endpoint } from '../scheduler/testing.js';
import { DEFAULT_OUTLIER_POLICY, OutlierBook, outcomeOf, outlierPolicyOf } from './outliers.js';

function pool(n: number, outlierDetection?: NonNullable<RouteServer['trafficPolicy']>['outlierDetection']): RouteServer {
  return {
    name: 'ms',
    namespace: 'default',
    engine: 'vLLM',
    endpoints: Array.from({ length: n }, (_, i) => ({ id: `e${i}`, address: `http://127.0.0.1:${9000 + i}`, role: 'both' as const })),
    ...(outlierDetection ? { trafficPolicy: { outlierDetection } } : {}),
  };
}

describe('gateway/outliers', () => {
  it('maps statuses to outcomes as Envoy counts them', () => {
    expect([200, 404, 429, 500, 501, 502, 503, 504].map(outcomeOf)).to.deep.equal(['ok', 'ok', 'ok', '5xx', '5xx', 'gateway', 'gateway', 'gateway']);
  });

  it('fills absent policy fields with the defaults', () => {
    expect(outlierPolicyOf(undefined)).to.deep.equal(DEFAULT_OUTLIER_POLICY);
    expect(outlierPolicyOf({ consecutive5xx: 2 })).to.deep.equal({ ...DEFAULT_OUTLIER_POLICY, consecutive5xx: 2 });
  });

  it('ejects after consecutive gateway failures; a success in between resets the streak', () => {
    const book = new OutlierBook();
    const s = pool(4);
    expect(book.observe(s, 'e0', 'local', 0)).to.equal(null);
    expect(book.observe(s, 'e0', 'gateway', 1)).to.equal(null);
    expect(book.observe(s, 'e0', 'ok', 2)).to.equal(null);
    expect(book.observe(s, 'e0', 'local', 3)).to.equal(null);
    expect(book.observe(s, 'e0', 'local', 4)).to.equal(null);
    const e = book.observe(s, 'e0', 'gateway', 5);
    expect(e).to.deep.equal({ endpoint: 'e0', modelServer: 'ms', rule: 'consecutive_gateway_failure', failures: 3, durationMs: 10_000, times: 1 });
    expect(book.isEjected('e0', 6)).to.equal(true);
    expect(book.isEjected('e0', 10_005)).to.equal(false);
  });

  it('ejects after consecutive 5xx; a plain 500 breaks a gateway-failure streak but counts as 5xx', () => {
    const book = new OutlierBook();
    const s = pool(4);
    for (let i = 0; i < 4; i++) expect(book.observe(s, 'e1', i % 2 === 0 ? '5xx' : 'gateway', i)).to.equal(null);
    expect(book.observe(s, 'e1', '5xx', 4)?.rule).to.equal('consecutive_5xx');
  });

  it('a rule set to 0 is off', () => {
    const book = new OutlierBook();
    const s = pool(4, { consecutiveGatewayFailure: 0, consecutive5xx: 0 });
    for (let i = 0; i < 50; i++) expect(book.observe(s, 'e0', 'local', i)).to.equal(null);
  });

  it('the ejection grows with each ejection, is capped, and is forgiven by time back in service', () => {
    const book = new OutlierBook();
    const s = pool(4, { consecutiveGatewayFailure: 1, baseEjectionTimeMs: 1000, maxEjectionTimeMs: 2500 });
    expect(book.observe(s, 'e0', 'local', 0)?.durationMs).to.equal(1000);
    expect(book.observe(s, 'e0', 'local', 500)).to.equal(null); // in flight when it went: not counted
    expect(book.observe(s, 'e0', 'local', 1000)?.durationMs).to.equal(2000);
    expect(book.observe(s, 'e0', 'local', 3000)?.durationMs).to.equal(2500);
    // Back at 5500; 3 s (3 base intervals) in service forgive all three ejections.
    expect(book.isEjected('e0', 5500)).to.equal(false);
    expect(book.observe(s, 'e0', 'local', 8500)).to.deep.include({ durationMs: 1000, times: 1 });
  });

  it('never ejects past maxEjectionPercent, always allows one, never the last one', () => {
    const book = new OutlierBook();
    const s = pool(4, { consecutiveGatewayFailure: 1, maxEjectionPercent: 25 });
    expect(book.observe(s, 'e0', 'local', 0)).to.not.equal(null);
    expect(book.observe(s, 'e1', 'local', 0), '25% out already: a 25% cap allows no second').to.equal(null);
    const two = pool(2, { consecutiveGatewayFailure: 1, maxEjectionPercent: 10 });
    const b2 = new OutlierBook();
    expect(b2.observe(two, 'e0', 'local', 0), 'one is always allowed').to.not.equal(null);
    const all = pool(2, { consecutiveGatewayFailure: 1, maxEjectionPercent: 100 });
    const b3 = new OutlierBook();
    expect(b3.observe(all, 'e0', 'local', 0)).to.not.equal(null);
    expect(b3.observe(all, 'e1', 'local', 0), 'the last one stays').to.equal(null);
    expect(new OutlierBook().observe(pool(1, { consecutiveGatewayFailure: 1 }), 'e0', 'local', 0), 'a pool of one').to.equal(null);
  });

  it('filter drops ejected views, returns the same array when none is ejected, and all when none would be left', () => {
    const book = new OutlierBook();
    const s = pool(3, { consecutiveGatewayFailure: 1 });
    const views = s.endpoints.map((e) => endpoint(e.id, { address: e.address }));
    expect(book.filter(views, 0)).to.equal(views);
    book.observe(s, 'e1', 'local', 0);
    expect(book.filter(views, 1).map((v) => v.id)).to.deep.equal(['e0', 'e2']);
    const onlyEjected = [views[1]];
    expect(book.filter(onlyEjected, 1)).to.equal(onlyEjected);
    expect(book.filter(views, 20_000)).to.have.length(3);
    expect(book.ejectedNow(20_000)).to.equal(0);
  });

  it('filter keeps every view when an ejection would leave a disaggregated role empty', () => {
    const book = new OutlierBook();
    const s = pool(4, { consecutiveGatewayFailure: 1 });
    const views = [endpoint('e0', { role: 'prefill' }), endpoint('e1', { role: 'decode' }), endpoint('e2', { role: 'decode' })];
    book.observe(s, 'e0', 'local', 0);
    expect(book.filter(views, 1), 'the only prefill is ejected').to.equal(views);
    book.observe(s, 'e1', 'local', 0);
    expect(book.filter([endpoint('e3', { role: 'prefill' }), views[1], views[2]], 1).map((v) => v.id)).to.deep.equal(['e3', 'e2']);
  });

  it('retain forgets endpoints that left every table, ejected or not', () => {
    const book = new OutlierBook();
    const s = pool(3, { consecutiveGatewayFailure: 1 });
    book.observe(s, 'e0', 'local', 0);
    book.observe(s, 'e2', '5xx', 0);
    book.retain(new Set(['e2']));
    expect(Object.keys(book.debug(1))).to.deep.equal(['e2']);
    const views = s.endpoints.map((e) => endpoint(e.id, { address: e.address }));
    expect(book.filter(views, 1)).to.equal(views);
  });
});
