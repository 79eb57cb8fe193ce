// A control plane killed mid-reconcile (SIGKILL of `mi up` right after the model controller's
// first decision) and started again reaches the same end state as a run without the crash, and
// MI_DECISIONS holds no decision twice. The reference run (the same control-plane composition,
// in this process) and the crash run each get their own nats-server and data dir, and apply the
// same manifest.
import { expect } from 'chai';
import { miOk } from './support/mi.js';
import { startMiUp } from './support/mi-up.js';
import { modelYaml, writeManifest } from './support/manifests.js';
import { pidAlive } from './support/children.js';
import { CrashRuns, type Run } from './support/crash-runs.js';
import { decisionContents as decisionsOf, modelEndState, type EndState } from './support/end-state.js';
import { entryEndpoints, readRoute, routesKv } from './support/nats.js';
import { waitFor } from './support/poll.js';
import { startInProcessControlPlane } from './support/system.js';

const MODEL = 'e2e-crash';
const REPLICAS = 2;

describe('control plane killed mid-reconcile (mi up as a child process)', function () {
  this.timeout(150_000);
  const book = new CrashRuns('mi-e2e-crash');
  const { children, stops } = book;
  const newRun = (tag: string): Promise<Run> => book.newRun(tag);
  const observedPids = (run: Run): Promise<number[]> => book.pidsOf(run);

  after(async function () {
    this.timeout(30_000);
    await book.cleanup();
  });

  async function waitRouted(run: Run): Promise<void> {
    const kv = await routesKv(run.nc);
    await waitFor(`${MODEL} routed to ${REPLICAS} endpoints`, async () => entryEndpoints(await readRoute(kv, MODEL)).length === REPLICAS, { timeoutMs: 60_000 });
  }

  const endState = (run: Run): Promise<EndState> => modelEndState(run.nc, MODEL);
  const decisionContents = (run: Run) => decisionsOf(run.nc);

  let reference: { state: EndState; contents: string[] } | undefined;

  it('reference: a run without a crash', async () => {
    const run = await newRun('ref');
    // The same composition `mi up` runs, in this process: one child start less on a busy box.
    const cp = await startInProcessControlPlane(run.server.url, run.dataDir);
    stops.push(cp.stop);
    const file = writeManifest(run.dataDir, 'model.yaml', modelYaml({ name: MODEL, replicas: REPLICAS }));
    expect(await miOk(run.server.url, ['apply', '-f', file])).to.include(`model/${MODEL} created`);
    await waitRouted(run);
    await waitFor('the Model to be Active', async () => (await endState(run)).modelStatus.includes('Active'), { timeoutMs: 30_000, everyMs: 500 });
    reference = { state: await endState(run), contents: (await decisionContents(run)).contents };
    const pids = await observedPids(run);
    await stops.splice(stops.indexOf(cp.stop), 1)[0]();
    await waitFor('the reference run to leave no simulator', () => pids.every((p) => !pidAlive(p)), { timeoutMs: 15_000 });
  });

  it('killed right after its first decision and restarted: same end state, no decision twice', async () => {
    expect(reference, 'the reference run').to.not.equal(undefined);
    const run = await newRun('crash');
    const first = await startMiUp(children, run.server.url, run.dataDir, 'mi-up-1');
    // SIGKILL as soon as the model controller has published a decision, before it can have
    // applied all its writes (the "publish, then crash before applying" window).
    let killedAfter = '';
    const sub = run.nc.subscribe('mi.decisions.>', {
      callback: (_err, msg) => {
        if (killedAfter !== '') return;
        killedAfter = msg.subject;
        children.signal(first, 'SIGKILL');
      },
    });
    const file = writeManifest(run.dataDir, 'model.yaml', modelYaml({ name: MODEL, replicas: REPLICAS }));
    expect(await miOk(run.server.url, ['apply', '-f', file])).to.include(`model/${MODEL} created`);
    const exit = await first.exited;
    sub.unsubscribe();
    expect(exit.signal).to.equal('SIGKILL');
    expect(killedAfter).to.equal(`mi.decisions.model.default.${MODEL}`);
    // It died mid-reconcile: the Model was not served yet.
    expect(entryEndpoints(await readRoute(await routesKv(run.nc), MODEL)).length).to.be.below(REPLICAS);
    // Whatever it had started dies with it (the actuator's watchdog).
    const orphans = await observedPids(run);
    await waitFor('the killed run to leave no simulator', () => orphans.every((p) => !pidAlive(p)), { timeoutMs: 15_000 });

    const second = await startMiUp(children, run.server.url, run.dataDir, 'mi-up-2');
    await waitRouted(run);
    await waitFor('the Model to be Active', async () => (await endState(run)).modelStatus.includes('Active'), { timeoutMs: 30_000, everyMs: 500 });
    const state = await endState(run);
    expect(state).to.deep.equal(reference!.state);

    const { ids, contents } = await decisionContents(run);
    expect(new Set(ids).size, 'decision ids').to.equal(ids.length);
    expect(new Set(contents).size, `decision contents:\n${contents.join('\n')}`).to.equal(contents.length);
    expect(contents, 'the same decisions as the run without the crash').to.deep.equal(reference!.contents);

    const pids = await observedPids(run);
    await children.stop(second);
    await waitFor('no simulator left after stopping', () => pids.every((p) => !pidAlive(p)), { timeoutMs: 15_000 });
  });
});
