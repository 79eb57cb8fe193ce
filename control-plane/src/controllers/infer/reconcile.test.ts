import { expect } from 'chai';
import type { InstanceObservation, InstanceSpec } from '@matrixinfer/events';
import { makeInfer, makeRole, observe } from '../testdata.js';
import type { ModelInfer } from '../types.js';
import { renderGroup } from './instances.js';
import { crashBackoffMs, reconcileInfer, resolveIntOrPercent, rolloutParams } from './reconcile.js';

/** Drives reconcileInfer like the runner does: publish each next set, observe, decide again. */
class World {
  published: InstanceSpec[] = [];
  observed = new Map<string, InstanceObservation>();
  reasons: string[] = [];
  constructor(public mi: ModelInfer | null, public nowMs = 1_000) {}
  step() {
    const out = reconcileInfer({ mi: this.mi, published: this.published, observed: this.observed, nowMs: this.nowMs });
    if (out.next) {
      this.published = out.next.instances;
      this.reasons.push(out.next.reason);
    }
    return out;
  }
  readyAll(filter: (i: InstanceSpec) => boolean = () => true) {
    for (const i of this.published) if (filter(i)) this.observed.set(i.name, observe(i, 'ready', this.nowMs));
  }
  revs(): string[] {
    const byGroup = new Map<number, string>();
    for (const i of this.published) byGroup.set(i.group, i.revision);
    return [...byGroup.entries()].sort((a, b) => a[0] - b[0]).map(([g, r]) => `${g}:${r === this.rev('new') ? 'new' : 'old'}`);
  }
  rev(which: 'new' | 'old'): string {
    return renderGroup(which === 'new' ? this.mi! : oldMi(this.mi!), 0)[0].revision;
  }
}

const OLD = makeRole('server', ['--itl-ms', '10']);
const NEW = makeRole('server', ['--itl-ms', '20']);
function oldMi(mi: ModelInfer): ModelInfer {
  return { ...mi, spec: { ...mi.spec, template: { roles: [OLD] } } };
}
function withTemplate(mi: ModelInfer, role = NEW): ModelInfer {
  return { ...mi, spec: { ...mi.spec, template: { ...mi.spec.template, roles: [role] } } };
}

describe('infer controller: instances', () => {
  it('names instances <mi>-<group>-<role>-<roleIdx>-<podIdx> with entry and workers', () => {
    const mi = makeInfer('llm', 2, [makeRole('prefill'), makeRole('decode', [], { replicas: 2, workerReplicas: 1 })]);
    const w = new World(mi);
    const out = w.step();
    expect(out.next!.reason).to.equal('scale: create groups 0, 1 (replicas 2)');
    expect(w.published.map((i) => i.name)).to.deep.equal([
      'llm-0-decode-0-0',
      'llm-0-decode-0-1',
      'llm-0-decode-1-0',
      'llm-0-decode-1-1',
      'llm-0-prefill-0-0',
      'llm-1-decode-0-0',
      'llm-1-decode-0-1',
      'llm-1-decode-1-0',
      'llm-1-decode-1-1',
      'llm-1-prefill-0-0',
    ]);
    const worker = w.published[1];
    expect([worker.entry, worker.podIndex, worker.env.WORKER_INDEX, worker.env.GROUP_SIZE, worker.env.MI_ENTRY_INSTANCE]).to.deep.equal([false, 1, '1', '2', 'llm-0-decode-0-0']);
    expect(worker.labels['modelinfer.matrixinfer.ai/group-name']).to.equal('llm-0');
    expect(worker.labels['modelinfer.matrixinfer.ai/role-id']).to.equal('decode-0');
    expect(worker.labels['modelinfer.matrixinfer.ai/entry']).to.equal('false');
    // The revision is per role template: prefill and decode differ, groups share them.
    expect(new Set(w.published.map((i) => i.revision)).size).to.equal(2);
    expect(w.step().next).to.equal(undefined);
  });

  it('a deleted ModelInfer stops everything once', () => {
    const w = new World(makeInfer('x', 1));
    w.step();
    w.mi = null;
    expect(w.step().next).to.deep.equal({ instances: [], reason: 'ModelInfer deleted: stop all 1 instances' });
    expect(w.step().next).to.equal(undefined);
  });

  it('a ModelInfer without roles cannot be decided (a value, not an exception)', () => {
    const out = reconcileInfer({ mi: makeInfer('x', 1, []), published: [], observed: new Map(), nowMs: 0 });
    expect(out.invalid).to.match(/no roles/);
    expect(out.next).to.equal(undefined);
  });
});

describe('infer controller: scale', () => {
  const cases = [
    { name: 'scale up 1 → 3', from: 1, to: 3, groups: [0, 1, 2], reason: 'scale: create groups 1, 2 (replicas 3)' },
    { name: 'scale down 3 → 1', from: 3, to: 1, groups: [0], reason: 'scale: remove groups 1, 2 (replicas 1)' },
    { name: 'scale to zero', from: 2, to: 0, groups: [], reason: 'scale: remove groups 0, 1 (replicas 0)' },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const w = new World(makeInfer('s', tc.from));
      w.step();
      w.readyAll();
      w.mi = makeInfer('s', tc.to);
      expect(w.step().next!.reason).to.equal(tc.reason);
      expect([...new Set(w.published.map((i) => i.group))]).to.deep.equal(tc.groups);
    });
  }
});

describe('infer controller: recovery', () => {
  const grace = 5;
  const cases = [
    { policy: 'RoleRecreate' as const, bumped: ['r-0-server-1-0', 'r-0-server-1-1'] },
    { policy: 'InferGroupRecreate' as const, bumped: ['r-0-server-0-0', 'r-0-server-0-1', 'r-0-server-1-0', 'r-0-server-1-1'] },
    { policy: 'None' as const, bumped: [] },
  ];
  for (const tc of cases) {
    it(`${tc.policy}: waits the grace period, then recreates ${tc.bumped.length} instances`, () => {
      const mi = makeInfer('r', 2, [makeRole('server', [], { replicas: 2, workerReplicas: 1 })], {
        recoveryPolicy: tc.policy,
        template: { restartGracePeriodSeconds: grace, roles: [makeRole('server', [], { replicas: 2, workerReplicas: 1 })] },
      });
      const w = new World(mi, 10_000);
      w.step();
      w.readyAll();
      const victim = w.published.find((i) => i.name === 'r-0-server-1-1')!;
      w.observed.set(victim.name, observe(victim, 'failed', 10_000));
      w.nowMs = 10_000 + grace * 1000 - 1;
      const early = w.step();
      expect(early.next).to.equal(undefined);
      if (tc.policy === 'None') {
        // None never recreates: no wake-up is scheduled, and well past the grace period the
        // failed instance is still the same incarnation and nothing is published for it.
        expect(early.wakeAtMs).to.equal(undefined);
        const before = w.published.length;
        w.nowMs += 60_000;
        const later = w.step();
        expect(later.next).to.equal(undefined);
        expect(later.wakeAtMs).to.equal(undefined);
        expect(w.published.length).to.equal(before);
        expect(w.published.filter((i) => (i.incarnation ?? 0) > 0).map((i) => i.name)).to.deep.equal(tc.bumped);
        return;
      }
      expect(early.wakeAtMs).to.equal(10_000 + grace * 1000);
      expect(early.waiting).to.match(/recovery: r-0-server-1-1 failed/);
      w.nowMs += 1;
      const out = w.step();
      expect(out.next!.reason).to.match(new RegExp(`recovery \\(${tc.policy}\\).*because r-0-server-1-1 failed \\(process crashed\\)`));
      expect(w.published.filter((i) => i.incarnation === 1).map((i) => i.name)).to.deep.equal(tc.bumped);
      // The failure was about the previous run: nothing more to do until a new one is observed.
      expect(w.step().next).to.equal(undefined);
      // The new run fails too: recreated again once the grace period (longer than the 1 s backoff) has passed.
      const again = w.published.find((i) => i.name === victim.name)!;
      w.observed.set(victim.name, observe(again, 'exited', w.nowMs));
      expect(w.step().next).to.equal(undefined);
      w.nowMs += grace * 1000;
      w.step();
      expect(w.published.find((i) => i.name === victim.name)!.incarnation).to.equal(2);
    });
  }

  it('grace 0: the first failure is recreated at once, a crash loop backs off', () => {
    const w = new World(makeInfer('c', 1), 0);
    w.step();
    const i0 = w.published[0];
    w.observed.set(i0.name, observe(i0, 'exited', 0));
    expect(w.step().next!.instances[0].incarnation).to.equal(1);
    w.observed.set(i0.name, observe(w.published[0], 'exited', 100));
    w.nowMs = 100;
    expect(w.step().wakeAtMs).to.equal(100 + crashBackoffMs(1));
    w.nowMs = 1100;
    expect(w.step().next!.instances[0].incarnation).to.equal(2);
    expect([0, 1, 2, 3, 10].map(crashBackoffMs)).to.deep.equal([0, 1000, 2000, 4000, 30_000]);
  });

  it('ignores a stale failure of an older run', () => {
    const w = new World(makeInfer('c', 1), 0);
    w.step();
    const i0 = w.published[0];
    w.published = [{ ...i0, incarnation: 3 }];
    w.observed.set(i0.name, observe(i0, 'failed', 0));
    expect(w.step().next).to.equal(undefined);
  });
});

describe('infer controller: rolling update', () => {
  it('resolves int-or-percent and defaults', () => {
    expect(resolveIntOrPercent('25%', 10, 1, false)).to.equal(2);
    expect(resolveIntOrPercent('25%', 10, 1, true)).to.equal(3);
    expect(resolveIntOrPercent(undefined, 10, 1, false)).to.equal(1);
    expect(resolveIntOrPercent('3', 10, 1, false)).to.equal(3);
    expect(rolloutParams(makeInfer('x', 4, [OLD], { rolloutStrategy: { maxUnavailable: 0, maxSurge: 0 } }))).to.deep.equal({ maxUnavailable: 1, maxSurge: 0, partition: 0 });
    expect(rolloutParams(makeInfer('x', 4, [OLD], { rolloutStrategy: { rollingUpdateConfiguration: { maxUnavailable: '50%', partition: 1 } } as ModelInfer['spec']['rolloutStrategy'] }))).to.deep.equal({
      maxUnavailable: 2,
      maxSurge: 0,
      partition: 1,
    });
  });

  /** Runs a rollout to the end, making every new instance ready between steps; returns the group revisions after each step. */
  function rollout(replicas: number, strategy: ModelInfer['spec']['rolloutStrategy']): { steps: string[][]; w: World } {
    const w = new World(makeInfer('u', replicas, [OLD], { rolloutStrategy: strategy }));
    w.step();
    w.readyAll();
    w.mi = withTemplate(w.mi!);
    const steps: string[][] = [];
    for (let n = 0; n < 20; n++) {
      const out = w.step();
      if (!out.next) break;
      steps.push(w.revs());
      w.readyAll();
    }
    return { steps, w };
  }

  const cases = [
    { name: 'maxUnavailable 1: one group at a time, highest index first', replicas: 3, strategy: { maxUnavailable: 1 }, steps: [['0:old', '1:old', '2:new'], ['0:old', '1:new', '2:new'], ['0:new', '1:new', '2:new']] },
    { name: 'maxUnavailable 2: two at a time', replicas: 3, strategy: { maxUnavailable: 2 }, steps: [['0:old', '1:new', '2:new'], ['0:new', '1:new', '2:new']] },
    {
      name: 'maxSurge 1, maxUnavailable 0: a surge group first, removed at the end',
      replicas: 2,
      strategy: { maxUnavailable: 0, maxSurge: 1 },
      steps: [['0:old', '1:old', '2:new'], ['0:old', '1:new', '2:new'], ['0:new', '1:new', '2:new'], ['0:new', '1:new']],
    },
    { name: 'partition 2: groups below 2 keep the old template', replicas: 3, strategy: { maxUnavailable: 1, partition: 2 }, steps: [['0:old', '1:old', '2:new']] },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      const { steps, w } = rollout(tc.replicas, tc.strategy);
      expect(steps).to.deep.equal(tc.steps);
      for (const r of w.reasons.slice(1)) expect(r).to.match(/rolling update/);
    });
  }

  it('waits for the replaced group to be ready before the next step, and says so', () => {
    const w = new World(makeInfer('u', 2, [OLD], { rolloutStrategy: { maxUnavailable: 1 } }));
    w.step();
    w.readyAll();
    w.mi = withTemplate(w.mi!);
    const first = w.step();
    expect(first.next!.reason).to.match(/^rolling update: replace group 1 \(revision \w+ → \w+; 1\/2 groups stay available, maxUnavailable 1\)$/);
    const wait = w.step();
    expect(wait.next).to.equal(undefined);
    expect(wait.waiting).to.equal('rolling update: 1 group (0) wait until replaced groups are ready (1/2 available, maxUnavailable 1)');
    // Ready from the OLD run does not count: the observation must carry the new revision.
    const g1 = w.published.filter((i) => i.group === 1);
    w.observed.set(g1[0].name, { ...observe(g1[0], 'ready', 1), revision: 'stale' });
    expect(w.step().next).to.equal(undefined);
    w.readyAll((i) => i.group === 1);
    expect(w.step().next!.reason).to.match(/replace group 0/);
  });

  it('replaces a not-ready outdated group without waiting (a failed group cannot stall the rollout)', () => {
    const w = new World(makeInfer('u', 2, [OLD], { recoveryPolicy: 'None', rolloutStrategy: { maxUnavailable: 1 } }));
    w.step();
    w.readyAll((i) => i.group === 1);
    w.observed.set('u-0-server-0-0', observe(w.published[0], 'failed', 5));
    w.mi = withTemplate(w.mi!);
    w.step();
    expect(w.revs()).to.deep.equal(['0:new', '1:old']);
  });
});
