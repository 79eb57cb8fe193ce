// HoldQueue on its own: fake held requests, sinon fake timers, tables folded from entries.
import { expect } from 'chai';
import sinon from 'sinon';
import { Registry } from 'prom-client';
import type { GatewayError } from './errors.js';
import { HoldQueue, type Holdable } from './hold-queue.js';
import { applyUpdates, EMPTY_TABLE, type RouteTable } from './route-table.js';
import { modelEntry, server } from './testing.js';

class FakeHeld implements Holdable {
  holdDeadlineMs = 0;
  holdPriority = 1;
  released = 0;
  expired: GatewayError | null = null;
  constructor(
    readonly name: string,
    private readonly log: string[],
    private readonly onRelease?: (h: FakeHeld) => void,
  ) {}
  holdReleased(): void {
    this.released++;
    this.log.push(`released ${this.name}`);
    this.onRelease?.(this);
  }
  holdExpired(err: GatewayError): void {
    this.expired = err;
    this.log.push(`expired ${this.name}`);
  }
}

function table(...entries: Array<[string, number]>): RouteTable {
  let rev = 0;
  return applyUpdates(
    EMPTY_TABLE,
    entries.map(([model, endpoints]) => ({
      op: 'put' as const,
      key: model,
      revision: ++rev,
      entry: modelEntry(model, [server(`${model}-srv`, Array.from({ length: endpoints }, (_, i) => ({ id: `${model}-${i}`, url: `http://127.0.0.1:${9000 + i}` })))]),
    })),
  );
}

describe('HoldQueue', () => {
  let clock: sinon.SinonFakeTimers;
  let registry: Registry;
  let demand: Array<[string, string, number]>;
  let log: string[];
  let q: HoldQueue;

  const metric = async (name: string, model: string): Promise<number> => {
    const m = (await registry.getSingleMetric(name)!.get()).values.find((v) => v.labels.model === model);
    return m?.value ?? 0;
  };

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000 });
    registry = new Registry();
    demand = [];
    log = [];
    q = new HoldQueue({ timeoutMs: 1000, maxPerModel: 3, retryAfterS: 5, nowMs: () => Date.now(), registry, onDemand: (m, ns, n) => demand.push([m, ns, n]) });
  });
  afterEach(() => {
    q.close();
    clock.restore();
  });

  it('signals demand once when a model goes from 0 to 1 held, again after it emptied', () => {
    const a = new FakeHeld('a', log);
    const b = new FakeHeld('b', log);
    expect(q.offer(a, 'm', 'ns1')).to.equal(null);
    expect(q.offer(b, 'm', 'ns1')).to.equal(null);
    expect(demand).to.deep.equal([['m', 'ns1', 1]]);
    q.remove(a, 'm');
    q.remove(b, 'm');
    q.offer(a, 'm', 'ns1');
    expect(demand).to.have.length(2);
  });

  it('releases in arrival order only when the entry has a ready endpoint or is gone', async () => {
    const items = ['a', 'b', 'c'].map((n) => new FakeHeld(n, log));
    for (const h of items) q.offer(h, 'm', 'default');
    q.offer(new FakeHeld('x', log), 'other', 'default');
    q.onTable(table(['m', 0], ['other', 0]));
    expect(log).to.deep.equal([]);
    expect(q.heldOf('m')).to.equal(3);
    q.onTable(table(['m', 1], ['other', 0]));
    expect(log).to.deep.equal(['released a', 'released b', 'released c']);
    expect(q.snapshot()).to.deep.equal({ other: 1 });
    expect(await metric('mi_gateway_hold_released_total', 'm')).to.equal(3);
    expect(await metric('mi_gateway_held_requests', 'm')).to.equal(0);
    q.onTable(table(['m', 1])); // 'other' deleted: released (it will answer 404 on re-resolve)
    expect(log.at(-1)).to.equal('released x');
    // Released requests never expire later.
    clock.tick(5000);
    expect(log.filter((l) => l.startsWith('expired'))).to.deep.equal([]);
  });

  it('expires each request at its own deadline with 503 MI_ERR_MODEL_STARTING and Retry-After', async () => {
    const a = new FakeHeld('a', log);
    const b = new FakeHeld('b', log);
    q.offer(a, 'm', 'default');
    clock.tick(400);
    q.offer(b, 'm', 'default');
    clock.tick(599);
    expect(log).to.deep.equal([]);
    clock.tick(1);
    expect(log).to.deep.equal(['expired a']);
    expect(a.expired!.code).to.equal('MI_ERR_MODEL_STARTING');
    expect(a.expired!.status).to.equal(503);
    expect(a.expired!.retryAfterS).to.equal(5);
    expect(a.expired!.message).to.equal('model `m` has no ready replica yet: it is starting (scale from zero); waited 1000 ms, retry later');
    clock.tick(400);
    expect(log).to.deep.equal(['expired a', 'expired b']);
    expect(await metric('mi_gateway_hold_expired_total', 'm')).to.equal(2);
    expect(await metric('mi_gateway_held_requests', 'm')).to.equal(0);
  });

  it('a request held again after a release keeps its first deadline', () => {
    // Released onto a still-empty server of a split: the Exchange offers itself again.
    const a = new FakeHeld('a', log, (h) => q.offer(h, 'm', 'default'));
    q.offer(a, 'm', 'default');
    clock.tick(600);
    q.onTable(table(['m', 1]));
    expect(q.heldOf('m')).to.equal(1);
    clock.tick(399);
    expect(a.expired).to.equal(null);
    clock.tick(1);
    expect(a.expired!.code).to.equal('MI_ERR_MODEL_STARTING');
  });

  it('refuses past the bound with 429 MI_ERR_HOLD_QUEUE_FULL, per model', async () => {
    for (let i = 0; i < 3; i++) expect(q.offer(new FakeHeld(`h${i}`, log), 'm', 'default')).to.equal(null);
    const err = q.offer(new FakeHeld('over', log), 'm', 'default');
    expect(err!.code).to.equal('MI_ERR_HOLD_QUEUE_FULL');
    expect(err!.status).to.equal(429);
    expect(err!.retryAfterS).to.equal(5);
    expect(err!.message).to.contain('it is starting (scale from zero) and 3 requests already wait');
    expect(q.offer(new FakeHeld('n', log), 'n', 'default')).to.equal(null);
    expect(await metric('mi_gateway_hold_rejected_total', 'm')).to.equal(1);
    expect(await metric('mi_gateway_held_requests', 'm')).to.equal(3);
  });

  it('priority bands: a full queue sheds its lowest band newest first for a higher band, refuses an equal or lower one, and releases band by band', async () => {
    const band = (name: string, p: number) => Object.assign(new FakeHeld(name, log), { holdPriority: p });
    const lowOld = band('low-old', 2);
    const lowNew = band('low-new', 2);
    const normal = band('normal', 1);
    for (const h of [lowOld, normal, lowNew]) expect(q.offer(h, 'm', 'default')).to.equal(null);
    expect(q.offer(band('low-late', 2), 'm', 'default')!.code, 'same band: refused').to.equal('MI_ERR_HOLD_QUEUE_FULL');
    const high = band('high', 0);
    expect(q.offer(high, 'm', 'default')).to.equal(null);
    expect(lowNew.expired!.code).to.equal('MI_ERR_SHED');
    expect(lowNew.expired!.status).to.equal(429);
    expect(lowNew.expired!.message).to.contain('low-priority request was shed');
    expect(lowOld.expired).to.equal(null);
    expect(await metric('mi_gateway_hold_shed_total', 'm')).to.equal(1);
    log.length = 0;
    q.onTable(table(['m', 1]));
    expect(log).to.deep.equal(['released high', 'released normal', 'released low-old']);
  });

  it('a request that throws on release still gets an answer, and the ones after it are released', () => {
    const bad = new FakeHeld('bad', log, () => {
      throw new Error('scheduler bug');
    });
    const good = new FakeHeld('good', log);
    q.offer(bad, 'm', 'default');
    q.offer(good, 'm', 'default');
    expect(() => q.onTable(table(['m', 1]))).to.not.throw();
    expect(log).to.deep.equal(['released bad', 'expired bad', 'released good']);
    expect(bad.expired!.code).to.equal('MI_ERR_UPSTREAM');
    expect(bad.expired!.message).to.contain('scheduler bug');
  });

  it('a removed request (client gone) is neither released nor expired', async () => {
    const a = new FakeHeld('a', log);
    const b = new FakeHeld('b', log);
    q.offer(a, 'm', 'default');
    q.offer(b, 'm', 'default');
    expect(q.remove(a, 'm')).to.equal(true);
    expect(q.remove(a, 'm')).to.equal(false);
    expect(await metric('mi_gateway_held_requests', 'm')).to.equal(1);
    clock.tick(2000);
    q.onTable(table(['m', 1]));
    expect(log).to.deep.equal(['expired b']);
  });

  it('close answers every held request and refuses new ones', () => {
    const a = new FakeHeld('a', log);
    q.offer(a, 'm', 'default');
    clock.tick(250);
    q.close();
    expect(a.expired!.message).to.contain('waited 250 ms');
    expect(q.offer(new FakeHeld('late', log), 'm', 'default')!.code).to.equal('MI_ERR_MODEL_STARTING');
  });

  it('rejects bad options', () => {
    for (const bad of [{ timeoutMs: 0 }, { maxPerModel: 0 }, { maxPerModel: 2.5 }]) {
      expect(() => new HoldQueue({ timeoutMs: 1000, maxPerModel: 3, retryAfterS: 5, nowMs: Date.now, registry: new Registry(), onDemand: () => undefined, ...bad })).to.throw(RangeError);
    }
  });
});
