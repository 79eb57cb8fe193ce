import { expect } from 'chai';
import { decisionSubject, desiredSubject, externalMetricsSubject, isSubjectToken, metricsSubject, observedSubject, parseSubject, statusKey } from './names.js';
import { decodeRouteEntry, encodeRouteEntry, stableStringify, type RouteEntry } from './routes.js';
import { GATEWAY_SAMPLE, decodeSample, encodeSample } from './samples.js';

describe('names (subjects are public interface)', () => {
  const cases: { name: string; subject: string; parsed: ReturnType<typeof parseSubject> }[] = [
    { name: 'desired', subject: desiredSubject('Model', 'default', 'llama'), parsed: { stream: 'desired', category: 'model', namespace: 'default', name: 'llama' } },
    { name: 'observed with instance', subject: observedSubject('ModelInfer', 'ns', 'mi', 'mi-0-prefill-0-0'), parsed: { stream: 'observed', category: 'modelinfer', namespace: 'ns', name: 'mi', instance: 'mi-0-prefill-0-0' } },
    { name: 'decisions', subject: decisionSubject('autoscaler', 'ns', 'b'), parsed: { stream: 'decisions', category: 'autoscaler', namespace: 'ns', name: 'b' } },
    { name: 'metrics', subject: metricsSubject('engine', 'ns', 'ep-1'), parsed: { stream: 'metrics', category: 'engine', namespace: 'ns', name: 'ep-1' } },
    { name: 'external metrics', subject: externalMetricsSubject('ns', 'b-1'), parsed: { stream: 'metrics', category: 'external', namespace: 'ns', name: 'b-1' } },
  ];
  for (const tc of cases) {
    it(`builds and parses ${tc.name} subjects`, () => {
      expect(parseSubject(tc.subject)).to.deep.equal(tc.parsed);
    });
  }

  it('builds the documented subject shapes', () => {
    expect(desiredSubject('Model', 'default', 'llama')).to.equal('mi.desired.model.default.llama');
    expect(statusKey('ModelRoute', 'ns', 'r')).to.equal('modelroute.ns.r');
    expect(externalMetricsSubject('default', 'llama-b0')).to.equal('mi.metrics.external.default.llama-b0');
  });

  for (const bad of ['a.b', 'a*', '>', 'has space', '']) {
    it(`rejects ${JSON.stringify(bad)} as a subject token`, () => {
      expect(isSubjectToken(bad)).to.equal(false);
      expect(() => desiredSubject('Model', 'default', bad)).to.throw(TypeError);
    });
  }

  it('does not parse foreign subjects', () => {
    expect(parseSubject('other.desired.model.a.b')).to.equal(null);
    expect(parseSubject('mi.unknown.model.a.b')).to.equal(null);
    expect(parseSubject('mi.desired.model.a')).to.equal(null);
  });
});

describe('routes (mi-routes entry codec)', () => {
  const entry: RouteEntry = { format: 'mi.route/v1', name: 'llama', kind: 'model', namespace: 'default', route: 'r', rules: [{ name: 'all', targets: [{ modelServer: 's', weight: 100 }] }], servers: {} };

  it('round-trips and encodes equal entries to equal bytes regardless of key order', () => {
    expect(decodeRouteEntry(encodeRouteEntry(entry))).to.deep.equal(entry);
    const reordered = { servers: {}, rules: entry.rules, route: 'r', namespace: 'default', kind: 'model', name: 'llama', format: 'mi.route/v1' } as RouteEntry;
    expect(Buffer.from(encodeRouteEntry(reordered)).equals(Buffer.from(encodeRouteEntry(entry)))).to.equal(true);
    expect(stableStringify({ b: 1, a: [{ d: 1, c: 2 }] })).to.equal('{"a":[{"c":2,"d":1}],"b":1}');
  });

  it('refuses what is not a v1 entry', () => {
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    expect(decodeRouteEntry(new TextEncoder().encode('nope'))).to.equal(null);
    expect(decodeRouteEntry(enc({ ...entry, format: 'mi.route/v2' }))).to.equal(null);
    expect(decodeRouteEntry(enc({ ...entry, rules: 'x' }))).to.equal(null);
  });
});

describe('samples: encodeSample / decodeSample', () => {
  const sample = { gateway: 'gw-0', model: 'llama', timeMs: 1_700_000_000_000, inFlight: 3, requestsPerSecond: 1, inputTokensPerSecond: 2, outputTokensPerSecond: 3, held: 0 };
  it('wraps a sample in the event envelope and reads it back', () => {
    const text = encodeSample(GATEWAY_SAMPLE, 'gateway/gw-0', 'mi.metrics.gateway.default.llama', sample);
    const env = JSON.parse(text) as { id: string; type: string; subject: string; time: string };
    expect(env).to.include({ type: 'metrics.gateway.sample', subject: 'mi.metrics.gateway.default.llama', time: '2023-11-14T22:13:20.000Z' });
    expect(decodeSample(text)).to.deep.equal(sample);
  });
  it('still reads a bare sample, and rejects what is not a sample', () => {
    expect(decodeSample(JSON.stringify(sample))).to.deep.equal(sample);
    for (const bad of ['not json', 'null', '{"type":"x","data":{}}', '[]']) expect(decodeSample(bad), bad).to.equal(null);
  });
});
