import { expect } from 'chai';
import type { RouteEntry } from '@matrixinfer/events';
import { applyUpdates, EMPTY_TABLE, type RouteTable } from './route-table.js';
import { pickWeighted, resolve, type Resolution, type RouteRequest } from './routing.js';
import { GatewayError } from './errors.js';
import { seededRandom } from './rng.js';
import { modelEntry, server } from './testing.js';

const ep = (id: string) => ({ id, url: `http://127.0.0.1:1/${id}` });

function tableOf(...entries: RouteEntry[]): RouteTable {
  return applyUpdates(
    EMPTY_TABLE,
    entries.map((entry, i) => ({ op: 'put' as const, key: entry.name, revision: i + 1, entry })),
  );
}

function req(model: string, over: Partial<RouteRequest> = {}): RouteRequest {
  return { model, path: '/v1/chat/completions', headers: {}, random: 0.5, ...over };
}

function expectResolved(r: Resolution | GatewayError): Resolution {
  if (r instanceof GatewayError) throw new Error(`expected a resolution, got ${r.code}`);
  return r;
}

const premium: RouteEntry = {
  ...modelEntry('chat', [server('chat-premium', [ep('p1')], { model: 'big' }), server('chat-std', [ep('s1')], { model: 'small' })]),
  rules: [
    { name: 'premium', match: { headers: { 'x-tier': { exact: 'premium' } } }, targets: [{ modelServer: 'chat-premium', weight: 100 }] },
    { name: 'beta', match: { headers: { 'x-user': { prefix: 'beta-' } } }, targets: [{ modelServer: 'chat-premium', weight: 100 }] },
    { name: 'regex', match: { headers: { 'x-org': { regex: '^org-[0-9]+$' } }, uri: { prefix: '/v1/chat' } }, targets: [{ modelServer: 'chat-premium', weight: 100 }] },
    { name: 'default', targets: [{ modelServer: 'chat-std', weight: 100 }] },
  ],
};

describe('gateway routing core', () => {
  const cases: Array<{ name: string; headers: Record<string, string>; path?: string; rule: string; server: string; model: string }> = [
    { name: 'exact header match goes premium', headers: { 'x-tier': 'premium' }, rule: 'premium', server: 'chat-premium', model: 'big' },
    { name: 'exact header mismatch falls to default', headers: { 'x-tier': 'premiumX' }, rule: 'default', server: 'chat-std', model: 'small' },
    { name: 'prefix header match', headers: { 'x-user': 'beta-42' }, rule: 'beta', server: 'chat-premium', model: 'big' },
    { name: 'regex header plus uri prefix', headers: { 'x-org': 'org-7' }, rule: 'regex', server: 'chat-premium', model: 'big' },
    { name: 'regex header but uri differs', headers: { 'x-org': 'org-7' }, path: '/v1/completions', rule: 'default', server: 'chat-std', model: 'small' },
    { name: 'no headers: default', headers: {}, rule: 'default', server: 'chat-std', model: 'small' },
  ];
  const table = tableOf(premium);
  for (const tc of cases) {
    it(tc.name, () => {
      const r = expectResolved(resolve(table, req('chat', { headers: tc.headers, path: tc.path ?? '/v1/chat/completions' })));
      expect(r.rule.name).to.equal(tc.rule);
      expect(r.server.name).to.equal(tc.server);
      expect(r.upstreamModel).to.equal(tc.model);
      expect(r.routeLabel).to.equal(`chat-route/${tc.rule}/${tc.server}`);
    });
  }

  it('unknown model is a 404 with param model', () => {
    const r = resolve(table, req('nope'));
    expect(r).to.be.instanceOf(GatewayError);
    expect((r as GatewayError).status).to.equal(404);
    expect((r as GatewayError).code).to.equal('MI_ERR_ROUTE_NOT_FOUND');
  });

  it('a request matching no rule is a 404 (no catch-all rule)', () => {
    const only: RouteEntry = { ...premium, rules: [premium.rules[0]] };
    const r = resolve(tableOf(only), req('chat'));
    expect((r as GatewayError).code).to.equal('MI_ERR_NO_RULE_MATCH');
  });

  it('bodyModel condition compares the requested model', () => {
    const e: RouteEntry = {
      ...premium,
      rules: [
        { name: 'other', match: { bodyModel: 'other' }, targets: [{ modelServer: 'chat-premium', weight: 1 }] },
        { name: 'mine', match: { bodyModel: 'chat' }, targets: [{ modelServer: 'chat-std', weight: 1 }] },
      ],
    };
    expect(expectResolved(resolve(tableOf(e), req('chat'))).rule.name).to.equal('mine');
  });

  it('LoRA entries keep the adapter name as the upstream model', () => {
    const lora: RouteEntry = { ...modelEntry('sql-lora', [server('base-srv', [ep('a')], { model: 'base' })]), kind: 'lora' };
    const r = expectResolved(resolve(tableOf(lora), req('sql-lora')));
    expect(r.upstreamModel).to.equal('sql-lora');
    expect(r.adapter).to.equal('sql-lora');
  });

  it('splits 1,000 requests over a 70/30 route within 5% of the weights', () => {
    const e = modelEntry('canary', [server('stable', [ep('s')]), server('canary', [ep('c')])], [['stable', 70], ['canary', 30]]);
    const t = tableOf(e);
    const rng = seededRandom(42);
    const counts: Record<string, number> = { stable: 0, canary: 0 };
    for (let i = 0; i < 1000; i++) counts[expectResolved(resolve(t, req('canary', { random: rng() }))).server.name]++;
    expect(counts.stable).to.be.within(650, 750);
    expect(counts.canary).to.be.within(250, 350);
  });

  it('pickWeighted: zero weights never win unless all are zero', () => {
    expect(pickWeighted([0, 5, 0], 0.99)).to.equal(1);
    expect(pickWeighted([0, 0], 0.7)).to.equal(1);
    expect(pickWeighted([1, 1], 0.999999999999)).to.equal(1);
  });
});

describe('gateway route table fold', () => {
  const e1 = modelEntry('m', [server('s', [ep('a')])]);
  it('ignores updates older than what it holds (replay after reconnect)', () => {
    let t = applyUpdates(EMPTY_TABLE, [{ op: 'put', key: 'm', revision: 5, entry: e1 }]);
    const e0 = modelEntry('m', [server('s', [ep('old')])]);
    t = applyUpdates(t, [{ op: 'put', key: 'm', revision: 3, entry: e0 }]);
    expect(t.entries.get('m')?.revision).to.equal(5);
    t = applyUpdates(t, [{ op: 'del', key: 'm', revision: 6 }]);
    expect(t.entries.has('m')).to.equal(false);
    t = applyUpdates(t, [{ op: 'put', key: 'm', revision: 5, entry: e1 }]);
    expect(t.entries.has('m'), 'a delete is not undone by an older put').to.equal(false);
    expect(t.revision).to.equal(6);
  });

  it('drops a key whose new value cannot be decoded or compiled', () => {
    let t = applyUpdates(EMPTY_TABLE, [{ op: 'put', key: 'm', revision: 1, entry: e1 }]);
    t = applyUpdates(t, [{ op: 'put', key: 'm', revision: 2, entry: null }]);
    expect(t.entries.has('m')).to.equal(false);
    const bad: RouteEntry = { ...e1, rules: [{ name: 'r', match: { headers: { x: { regex: '(' } } }, targets: [{ modelServer: 's', weight: 1 }] }] };
    t = applyUpdates(t, [{ op: 'put', key: 'm', revision: 3, entry: bad }]);
    expect(t.entries.has('m')).to.equal(false);
  });

  it('never mutates the table it was given', () => {
    const t1 = applyUpdates(EMPTY_TABLE, [{ op: 'put', key: 'm', revision: 1, entry: e1 }]);
    const t2 = applyUpdates(t1, [{ op: 'del', key: 'm', revision: 2 }]);
    expect(t1.entries.has('m')).to.equal(true);
    expect(t2.entries.has('m')).to.equal(false);
  });
});
