import { expect } from 'chai';
import { DEFAULT_HEALTH, foldProbe, initialHealth, type HealthState } from './health.js';
import { applyServer, healthOfEndpoint, healthPolicyOf, type ServerHealth } from './servers.js';

describe('endpoint controller: health policy and probe fold', () => {
  const policyCases = [
    { name: 'absent: the defaults', spec: undefined, want: DEFAULT_HEALTH, problems: 0 },
    { name: 'durations and thresholds as written', spec: { interval: '2s', timeout: '250ms', unhealthyThreshold: 3, healthyThreshold: 1 }, want: { intervalMs: 2000, timeoutMs: 250, unhealthyThreshold: 3, healthyThreshold: 1 }, problems: 0 },
    { name: 'partly given: the rest defaulted', spec: { timeout: '1s' }, want: { ...DEFAULT_HEALTH, timeoutMs: 1000 }, problems: 0 },
    { name: 'invalid (threshold 0): the defaults, with the problem', spec: { unhealthyThreshold: 0 }, want: DEFAULT_HEALTH, problems: 1 },
  ];
  for (const tc of policyCases) {
    it(`healthPolicyOf: ${tc.name}`, () => {
      const r = healthPolicyOf(tc.spec);
      expect(r.policy).to.deep.equal(tc.want);
      expect(r.problems).to.have.length(tc.problems);
    });
  }

  it("an endpoint gets the policy of the ModelServer selecting it, else the defaults", () => {
    const servers = new Map<string, ServerHealth>();
    applyServer(servers, 'default', 'ms', { spec: { workloadSelector: { matchLabels: { app: 'x' } }, trafficPolicy: { healthCheck: { interval: '3s' } } } });
    expect(healthOfEndpoint(servers.values(), 'default', { app: 'x' }).intervalMs).to.equal(3000);
    expect(healthOfEndpoint(servers.values(), 'default', { app: 'y' })).to.deep.equal(DEFAULT_HEALTH);
    expect(healthOfEndpoint(servers.values(), 'other', { app: 'x' })).to.deep.equal(DEFAULT_HEALTH);
    applyServer(servers, 'default', 'ms', null);
    expect(servers.size).to.equal(0);
  });

  it('foldProbe: out after unhealthyThreshold failures in a row, back after healthyThreshold passes; a pass resets the count', () => {
    const p = { ...DEFAULT_HEALTH, unhealthyThreshold: 2, healthyThreshold: 2 };
    let s: HealthState = initialHealth();
    const seq: string[] = [];
    for (const ok of [false, true, false, false, true, false, true, true]) {
      const f = foldProbe(s, ok, 'timed out', p);
      s = f.state;
      seq.push(`${s.healthy ? 'H' : 'U'}${f.flipped ? '!' : ''}`);
    }
    expect(seq).to.deep.equal(['H', 'H', 'H', 'U!', 'U', 'U', 'U', 'H!']);
  });
});
