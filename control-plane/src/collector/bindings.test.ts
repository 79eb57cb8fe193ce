import { expect } from 'chai';
import { applyBindingEvent, boundMetricsUrl, targetScrapeOf, type BindingTargets, type MetricEndpoint } from './bindings.js';

function binding(name: string, spec: unknown, namespace = 'default'): unknown {
  return { apiVersion: 'registry.matrixinfer.ai/v1alpha1', kind: 'AutoscalingPolicyBinding', metadata: { name, namespace }, spec };
}
const single = (target: unknown): unknown => ({ policyRef: { name: 'p' }, scalingConfiguration: { target, maxReplicas: 3 } });

describe('collector/bindings', () => {
  it('reads scalingConfiguration.target with defaults (uri /metrics, scheme http, port: the engine\'s)', () => {
    const b: BindingTargets = new Map();
    applyBindingEvent(b, 'resource.applied', binding('b1', single({ targetRef: { name: 'mi1' }, metricEndpoint: {}, additionalMatchLabels: { model_name: 'a' } })));
    expect(targetScrapeOf(b, 'default', 'mi1')).to.deep.equal({ binding: 'b1', metricEndpoint: { scheme: 'http', uri: '/metrics' }, matchLabels: { model_name: 'a' } });
    expect(targetScrapeOf(b, 'default', 'mi2')).to.equal(undefined);
    expect(targetScrapeOf(b, 'other', 'mi1')).to.equal(undefined);
  });

  it('reads every optimizer param target', () => {
    const b: BindingTargets = new Map();
    applyBindingEvent(b, 'resource.applied', binding('opt', {
      policyRef: { name: 'p' },
      optimizerConfiguration: {
        params: [
          { target: { targetRef: { name: 'a' }, metricEndpoint: { port: 9400, uri: '/gpu', scheme: 'https' } }, maxReplicas: 2 },
          { target: { targetRef: { name: 'b' }, additionalMatchLabels: { gpu: '0', bad: 3 } }, maxReplicas: 2 },
        ],
      },
    }));
    expect(targetScrapeOf(b, 'default', 'a')).to.deep.equal({ binding: 'opt', metricEndpoint: { scheme: 'https', port: 9400, uri: '/gpu' }, matchLabels: {} });
    expect(targetScrapeOf(b, 'default', 'b')).to.deep.equal({ binding: 'opt', matchLabels: { gpu: '0' } });
  });

  it('several bindings on one target: the alphabetically first wins; a deletion removes a binding', () => {
    const b: BindingTargets = new Map();
    applyBindingEvent(b, 'resource.applied', binding('zz', single({ targetRef: { name: 'mi1' }, additionalMatchLabels: { x: 'z' } })));
    applyBindingEvent(b, 'resource.applied', binding('aa', single({ targetRef: { name: 'mi1' }, additionalMatchLabels: { x: 'a' } })));
    expect(targetScrapeOf(b, 'default', 'mi1')?.binding).to.equal('aa');
    applyBindingEvent(b, 'resource.deleted', binding('aa', undefined));
    expect(targetScrapeOf(b, 'default', 'mi1')).to.deep.equal({ binding: 'zz', matchLabels: { x: 'z' } });
    // Re-applied without the target: forgotten.
    applyBindingEvent(b, 'resource.applied', binding('zz', single({ targetRef: { name: 'mi9' } })));
    expect(targetScrapeOf(b, 'default', 'mi1')).to.equal(undefined);
  });

  it('ignores targets in another namespace or of another kind, and malformed events', () => {
    const b: BindingTargets = new Map();
    applyBindingEvent(b, 'resource.applied', binding('b1', single({ targetRef: { name: 'mi1', namespace: 'elsewhere' } })));
    applyBindingEvent(b, 'resource.applied', binding('b2', single({ targetRef: { name: 'mi1', kind: 'Deployment' } })));
    applyBindingEvent(b, 'resource.applied', null);
    applyBindingEvent(b, 'resource.applied', { metadata: {} });
    expect(targetScrapeOf(b, 'default', 'mi1')).to.equal(undefined);
  });

  const urls: { name: string; address: string; me: MetricEndpoint; want: string | undefined }[] = [
    { name: 'another port, same host', address: 'http://127.0.0.1:8000', me: { scheme: 'http', port: 9400, uri: '/metrics' }, want: 'http://127.0.0.1:9400/metrics' },
    { name: 'another path on the engine port', address: 'http://10.0.0.7:8000', me: { scheme: 'http', uri: '/custom/metrics' }, want: 'http://10.0.0.7:8000/custom/metrics' },
    { name: 'https', address: 'http://10.0.0.7:8000', me: { scheme: 'https', port: 8443, uri: '/metrics' }, want: 'https://10.0.0.7:8443/metrics' },
    { name: 'the engine default itself: nothing more to scrape', address: 'http://127.0.0.1:8000', me: { scheme: 'http', uri: '/metrics' }, want: undefined },
    { name: 'same port given explicitly', address: 'http://127.0.0.1:8000', me: { scheme: 'http', port: 8000, uri: '/metrics' }, want: undefined },
    { name: 'address without a port', address: 'http://engine.local', me: { scheme: 'http', port: 80, uri: '/metrics' }, want: undefined },
    { name: 'IPv6 host', address: 'http://[::1]:8000', me: { scheme: 'http', port: 9000, uri: '/m' }, want: 'http://[::1]:9000/m' },
    { name: 'not a URL', address: 'nonsense', me: { scheme: 'http', port: 9000, uri: '/m' }, want: undefined },
  ];
  for (const tc of urls) it(`boundMetricsUrl: ${tc.name}`, () => expect(boundMetricsUrl(tc.address, tc.me)).to.equal(tc.want));
});
