// Chaos (#18, 2): nats-server stopped under streaming load and restarted on the same port and
// store. The gateway holds its last routing table, so every request during the outage is
// served; after the restart a new Model (controllers, actuator, projector, then the gateway's
// KV watch) is served too, and the streams hold every event they held before (same digest).
// Short form: 5 s outage at 40 requests/s; full form (MI_CHAOS_FULL=1): 60 s.
import { expect } from 'chai';
import { ChildSet } from '../support/children.js';
import { chaosKnob, loadFigures, printFigures, streamDigest, type StreamDigest } from '../support/chaos.js';
import { miOk } from '../support/mi.js';
import { modelYaml, writeManifest } from '../support/manifests.js';
import { entryEndpoints, readRoute } from '../support/nats.js';
import { waitFor } from '../support/poll.js';
import { OpenLoopStreams } from '../support/stream-load.js';
import { startE2eSystem, type E2eSystem } from '../support/system.js';
import type { StreamKey } from '@matrixinfer/events';

const MODEL = 'chaos-outage';
const LATE = 'chaos-outage-late';
const OUTAGE_S = chaosKnob('MI_CHAOS_OUTAGE_S', 5, 60);
const RATE = chaosKnob('MI_CHAOS_RATE', 40, 100);
const DURABLE: StreamKey[] = ['desired', 'observed', 'decisions'];

describe(`chaos: nats-server down ${OUTAGE_S} s under streaming load`, function () {
  this.timeout(120_000 + OUTAGE_S * 2000);
  const children = new ChildSet();
  let e: E2eSystem;
  const seenPids = new Set<number>();
  const remember = () => e?.sys?.actuator.instances().forEach((i) => i.pid && seenPids.add(i.pid));

  before(async function () {
    this.timeout(90_000);
    e = await startE2eSystem(children, 'chaos-outage');
    await miOk(e.server.url, ['apply', '-f', writeManifest(e.dataDir, 'm.yaml', modelYaml({ name: MODEL, replicas: 2, itlMs: 5 }))]);
    await waitFor('two replicas routed', async () => entryEndpoints(await readRoute(e.kv, MODEL)).length === 2 || undefined, { timeoutMs: 60_000 });
    remember();
  });
  after(async function () {
    this.timeout(30_000);
    await e?.server.start().catch(() => undefined); // a failed test may leave it stopped
    remember();
    await e?.close(children, seenPids);
  });

  it('serves 100% from the last table while NATS is down, catches up after, and loses no event', async () => {
    const load = new OpenLoopStreams(e.gw.url, MODEL, RATE, 16);
    load.start();
    await new Promise((r) => setTimeout(r, 1500));
    const before: Partial<Record<StreamKey, StreamDigest>> = {};
    for (const s of DURABLE) before[s] = await streamDigest(e.nc, s);
    const downAt = Date.now();
    await e.server.stop();
    await new Promise((r) => setTimeout(r, OUTAGE_S * 1000));
    const upAt = Date.now();
    await e.server.start();
    const restartMs = Date.now() - upAt;
    // Load goes on across the restart, then the control plane must act on a change.
    await waitFor('the client connection back', async () => (await e.nc.rtt()) >= 0, { timeoutMs: 30_000, everyMs: 200 });
    const applyAt = Date.now();
    await miOk(e.server.url, ['apply', '-f', writeManifest(e.dataDir, 'late.yaml', modelYaml({ name: LATE, replicas: 1, itlMs: 1 }))], { timeoutMs: 30_000 });
    const served = await waitFor(
      'the gateway to serve the Model applied after the outage',
      async () => {
        const res = await fetch(`${e.gw.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: LATE, prompt: 'hi', max_tokens: 2 }) });
        await res.arrayBuffer();
        return res.status === 200 || undefined;
      },
      { timeoutMs: 60_000, everyMs: 250 },
    );
    const catchUpMs = Date.now() - applyAt;
    await load.stop();
    remember();

    const during = load.between(downAt, upAt);
    const all = load.results;
    const after: Partial<Record<StreamKey, StreamDigest>> = {};
    for (const s of DURABLE) after[s] = await streamDigest(e.nc, s, before[s]!.lastSeq);
    const fAll = loadFigures(all);
    const fDuring = loadFigures(during);
    printFigures('chaos nats-outage', {
      outageS: OUTAGE_S,
      rate: RATE,
      requests: fAll.requests,
      whole: fAll.whole,
      duringOutage: `${fDuring.whole}/${fDuring.requests}`,
      p99MsDuring: fDuring.p99Ms,
      natsRestartMs: restartMs,
      newModelServedAfterMs: catchUpMs,
      streams: DURABLE.map((s) => `${s}:${before[s]!.messages}->${after[s]!.messages}@${before[s]!.lastSeq}->${after[s]!.lastSeq}`).join(','),
    });
    expect(served).to.equal(true);
    expect(during.length, 'requests offered during the outage').to.be.greaterThan(OUTAGE_S * RATE * 0.8);
    expect(fDuring.whole, 'requests served during the outage').to.equal(fDuring.requests);
    expect(fAll.whole, 'requests served over the whole run').to.equal(fAll.requests);
    for (const s of DURABLE) {
      // Every event stored before the outage is still there, byte for byte (canonical envelope).
      expect({ upTo: after[s]!.digestedUpTo, sha256: after[s]!.sha256 }, `${s} survived`).to.deep.equal({ upTo: before[s]!.digestedUpTo, sha256: before[s]!.sha256 });
      expect(after[s]!.lastSeq, `${s} grew again after the restart or held`).to.be.at.least(before[s]!.lastSeq);
    }
  });
});
