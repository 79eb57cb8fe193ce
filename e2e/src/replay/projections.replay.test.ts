// Replay (#18): after a run with several Models, rollouts (an engine argument changed), a
// scale-up and a delete, replaying every stream from the start with `mi replay`'s own code
// (rebuildAt: the projector's pure fold) rebuilds `mi-routes` and the projector's `mi-status`
// keys byte for byte: sha256 per key of the live value against the rebuilt one's canonical JSON.
// Prints the replay's events per second. Short form: 3 Models, 1 rollout round; full
// (MI_CHAOS_FULL=1): 8 Models, 3 rollout rounds.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { jetstream } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { BUCKETS, encodeRouteEntry, openKv, stableStringify } from '@matrixinfer/events';
import { rebuildAt } from '@matrixinfer/control-plane';
import { ChildSet } from '../support/children.js';
import { chaosKnob, printFigures } from '../support/chaos.js';
import { miOk } from '../support/mi.js';
import { modelYaml, writeManifest } from '../support/manifests.js';
import { entryEndpoints, readRoute } from '../support/nats.js';
import { waitFor } from '../support/poll.js';
import { startE2eSystem, type E2eSystem } from '../support/system.js';

const MODELS = chaosKnob('MI_REPLAY_MODELS', 3, 8);
const ROUNDS = chaosKnob('MI_REPLAY_ROUNDS', 1, 3);
const OWNED_STATUS = /^(model|modelinfer|modelserver)\./;

const sha = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** sha256 of every live value of a bucket whose key `keep` accepts. */
async function liveHashes(kv: KV, keep: (k: string) => boolean = () => true): Promise<Record<string, string>> {
  const keys: string[] = [];
  for await (const k of await kv.keys()) if (keep(k)) keys.push(k);
  const out: Record<string, string> = {};
  for (const k of keys.sort()) {
    const e = await kv.get(k);
    if (e && e.operation === 'PUT') out[k] = sha(e.value);
  }
  return out;
}

describe(`replay: ${MODELS} Models, ${ROUNDS} rollout round(s), a scale-up and a delete, rebuilt from the streams`, function () {
  this.timeout(120_000 + MODELS * ROUNDS * 20_000);
  const children = new ChildSet();
  let e: E2eSystem;
  const seenPids = new Set<number>();
  const remember = () => e?.sys?.actuator.instances().forEach((i) => i.pid && seenPids.add(i.pid));
  const names = Array.from({ length: MODELS }, (_, i) => `replay-m${i}`);
  const replicas = new Map(names.map((n) => [n, 1]));

  async function apply(name: string, itlMs: number): Promise<void> {
    await miOk(e.server.url, ['apply', '-f', writeManifest(e.dataDir, `${name}.yaml`, modelYaml({ name, replicas: replicas.get(name), itlMs }))]);
  }
  /** Waits until every live model is routed to exactly its replicas, none of them at an address in `old` (a rolled replica is a new process). */
  async function settled(what: string, old: Set<string> = new Set()): Promise<void> {
    await waitFor(
      what,
      async () => {
        for (const n of replicas.keys()) {
          const ids = entryEndpoints(await readRoute(e.kv, n)).map((x) => x.address);
          if (ids.length !== replicas.get(n) || ids.some((id) => old.has(id))) return false;
        }
        return true;
      },
      { timeoutMs: 90_000, everyMs: 250 },
    );
    remember();
  }
  async function allIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const n of replicas.keys()) for (const x of entryEndpoints(await readRoute(e.kv, n))) ids.add(x.address);
    return ids;
  }

  before(async function () {
    this.timeout(60_000);
    e = await startE2eSystem(children, 'replay');
  });
  after(async function () {
    this.timeout(30_000);
    remember();
    await e?.close(children, seenPids);
  });

  it('rebuilds mi-routes and the projected mi-status byte-identical to the live buckets', async () => {
    for (const n of names) await apply(n, 1);
    await settled('every Model routed');
    for (let round = 1; round <= ROUNDS; round++) {
      const old = await allIds();
      for (const n of replicas.keys()) await apply(n, 1 + round);
      await settled(`rollout round ${round} done`, old);
    }
    replicas.set(names[0], 2);
    await apply(names[0], 1 + ROUNDS);
    await settled('the scale-up done');
    const gone = names.at(-1)!;
    replicas.delete(gone);
    await miOk(e.server.url, ['delete', 'model', gone]);
    await waitFor('the deleted Model unrouted', async () => (await readRoute(e.kv, gone)) === null, { timeoutMs: 30_000 });

    const routesKv = e.kv;
    const statusKv = await openKv(jetstream(e.nc), BUCKETS.status);
    // The live projector writes after a short batching delay: compare until it has caught up
    // (the replay itself is exact; what may lag is the live side).
    let attempts = 0;
    let figures: Record<string, unknown> = {};
    let last: { live: unknown; rebuilt: unknown } = { live: null, rebuilt: null };
    await waitFor(
      'the rebuilt projections to equal the live ones',
      async () => {
        attempts++;
        const live = { routes: await liveHashes(routesKv), status: await liveHashes(statusKv, (k) => OWNED_STATUS.test(k)) };
        const t0 = performance.now();
        const s = await rebuildAt(jetstream(e.nc), Date.now());
        const ms = performance.now() - t0;
        const rebuilt = {
          routes: Object.fromEntries(s.routes.map((r) => [r.name, sha(encodeRouteEntry(r))])),
          status: Object.fromEntries(Object.entries(s.statuses).map(([k, v]) => [k, sha(stableStringify(v))])),
        };
        last = { live, rebuilt };
        figures = { events: s.events, replayMs: Math.round(ms), eventsPerS: Math.round((s.events * 1000) / ms), routeKeys: Object.keys(rebuilt.routes).length, statusKeys: Object.keys(rebuilt.status).length };
        const again = { routes: await liveHashes(routesKv), status: await liveHashes(statusKv, (k) => OWNED_STATUS.test(k)) };
        // Equal to the live buckets as they were before and after the replay: no write in between.
        return (stableStringify(live) === stableStringify(rebuilt) && stableStringify(again) === stableStringify(live)) || undefined;
      },
      { timeoutMs: 20_000, everyMs: 500, describe: () => JSON.stringify(last) },
    );
    printFigures('replay', { models: MODELS, rounds: ROUNDS, ...figures, compareAttempts: attempts });
    expect(figures.routeKeys).to.equal(MODELS - 1);
    expect(figures.statusKeys as number).to.be.at.least((MODELS - 1) * 3);
  });
});
