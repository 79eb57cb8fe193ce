// Chaos (#18, 3): the control plane (`mi up`, a child process) SIGKILLed at random points
// during a rollout (an engine argument changed) and a scale-up (minReplicas 2 -> 3), restarted
// after each kill. Compared with a run without kills (the same composition, in process): the
// same end state, the same decisions with none twice, and no engine process outliving the
// `mi up` that started it (the watchdog) or the final stop. Seeded: the seed is printed
// (MI_CHAOS_SEED to replay one). Short form: 3 kills; full (MI_CHAOS_FULL=1): 20.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { pidAlive, type RunningChild } from '../support/children.js';
import { chaosKnob, printFigures } from '../support/chaos.js';
import { seededRng } from '../support/random.js';
import { CrashRuns, type Run } from '../support/crash-runs.js';
import { decisionContents, modelEndState, type EndState } from '../support/end-state.js';
import { miOk } from '../support/mi.js';
import { startMiUp } from '../support/mi-up.js';
import { modelYaml, writeManifest } from '../support/manifests.js';
import { entryEndpoints, readRoute, routesKv } from '../support/nats.js';
import { waitFor } from '../support/poll.js';
import { startInProcessControlPlane } from '../support/system.js';

const MODEL = 'chaos-kills';
const KILLS = chaosKnob('MI_CHAOS_KILLS', 3, 20);
const SEED = chaosKnob('MI_CHAOS_SEED', Date.now() % 1_000_000, Date.now() % 1_000_000);
/** A kill lands uniformly in [0, MAX_DELAY_MS) after `mi up` is ready (or after the change was applied). */
const MAX_DELAY_MS = 2500;


/** The three steps every run goes through, and what "done" means for each. */
const STEPS = [
  { name: 'create', replicas: 2, itlMs: 1 },
  { name: 'rollout', replicas: 2, itlMs: 2 },
  { name: 'scale-up', replicas: 3, itlMs: 2 },
] as const;

describe(`chaos: the control plane SIGKILLed ${KILLS} times during a rollout and a scale-up`, function () {
  this.timeout(240_000 + KILLS * 30_000);
  const book = new CrashRuns('mi-chaos-kills');
  const { children, stops } = book;
  const newRun = (tag: string): Promise<Run> => book.newRun(tag);
  const pidsOf = (run: Run): Promise<number[]> => book.pidsOf(run);
  /** Processes whose command line names the run's data dir (engines log and keep models there; mi up takes --data-dir). */
  function processesOf(run: Run): string[] {
    const r = spawnSync('pgrep', ['-af', run.dataDir], { encoding: 'utf8' });
    return r.stdout.split('\n').filter((l) => l.trim() !== '' && !l.includes('pgrep'));
  }

  after(async function () {
    this.timeout(30_000);
    await book.cleanup();
  });

  async function applyStep(run: Run, step: (typeof STEPS)[number]): Promise<void> {
    await miOk(run.server.url, ['apply', '-f', writeManifest(run.dataDir, `${step.name}.yaml`, modelYaml({ name: MODEL, replicas: step.replicas, itlMs: step.itlMs }))]);
  }
  /** True once a step is done: its replicas routed, none at an address of before the step, the Model Active. */
  async function isStepDone(run: Run, step: (typeof STEPS)[number], oldAddresses: Set<string>): Promise<boolean> {
    const eps = entryEndpoints(await readRoute(await routesKv(run.nc), MODEL));
    if (eps.length !== step.replicas) return false;
    if (step.name === 'rollout' && eps.some((e) => oldAddresses.has(e.address))) return false;
    return (await modelEndState(run.nc, MODEL)).modelStatus.includes('Active');
  }
  async function stepDone(run: Run, step: (typeof STEPS)[number], oldAddresses: Set<string>): Promise<void> {
    await waitFor(`step ${step.name} done`, () => isStepDone(run, step, oldAddresses), { timeoutMs: 90_000, everyMs: 300 });
  }
  async function addresses(run: Run): Promise<Set<string>> {
    return new Set(entryEndpoints(await readRoute(await routesKv(run.nc), MODEL)).map((e) => e.address));
  }

  let reference: { state: EndState; contents: string[] } | undefined;

  it('reference: the three steps without a kill', async () => {
    const run = await newRun('ref');
    const cp = await startInProcessControlPlane(run.server.url, run.dataDir);
    stops.push(cp.stop);
    for (const step of STEPS) {
      const old = await addresses(run);
      await applyStep(run, step);
      await stepDone(run, step, old);
    }
    reference = { state: await modelEndState(run.nc, MODEL), contents: (await decisionContents(run.nc)).contents };
    const pids = await pidsOf(run);
    await stops.splice(stops.indexOf(cp.stop), 1)[0]();
    await waitFor('the reference run to leave no engine', () => pids.every((p) => !pidAlive(p)), { timeoutMs: 15_000 });
  });

  it(`killed at ${KILLS} random points of the rollout and the scale-up: same end state, no decision twice, no orphan`, async () => {
    expect(reference, 'the reference run').to.not.equal(undefined);
    const rng = seededRng(SEED);
    const run = await newRun('kills');
    const t0 = Date.now();
    let up: RunningChild = await startMiUp(children, run.server.url, run.dataDir, 'mi-up-0');
    let kills = 0;
    let restarts = 0;
    let orphansSeen = 0;
    let killedMidStep = 0;
    const killDelays: number[] = [];
    const killsPer: Record<string, number> = { rollout: Math.ceil(KILLS / 2), 'scale-up': Math.floor(KILLS / 2) };
    for (const step of STEPS) {
      const old = await addresses(run);
      await applyStep(run, step);
      for (let k = 0; k < (killsPer[step.name] ?? 0); k++) {
        const delay = Math.floor(rng() * MAX_DELAY_MS);
        killDelays.push(delay);
        await new Promise((r) => setTimeout(r, delay));
        // Whether the step was still in progress is read just before the kill (figures only).
        if (!(await isStepDone(run, step, old))) killedMidStep++;
        children.signal(up, 'SIGKILL');
        const exit = await up.exited;
        expect(exit.signal, 'mi up died of the SIGKILL').to.equal('SIGKILL');
        kills++;
        // The watchdog of the dead actuator stops every engine it had started.
        const pids = await pidsOf(run);
        await waitFor('no engine outliving the killed mi up', () => pids.every((p) => !pidAlive(p)), { timeoutMs: 15_000, describe: () => pids.filter(pidAlive).join(',') });
        orphansSeen += processesOf(run).length;
        up = await startMiUp(children, run.server.url, run.dataDir, `mi-up-${++restarts}`);
      }
      await stepDone(run, step, old);
    }
    const state = await modelEndState(run.nc, MODEL);
    const { ids, contents } = await decisionContents(run.nc);
    const pids = await pidsOf(run);
    await children.stop(up);
    await waitFor('no engine left after the last mi up stopped', () => pids.every((p) => !pidAlive(p)), { timeoutMs: 15_000 });
    const leftOver = processesOf(run);
    printFigures('chaos control-plane-kills', {
      seed: SEED,
      kills,
      killDelaysMs: killDelays.join(','),
      killedMidStep,
      decisions: contents.length,
      referenceDecisions: reference!.contents.length,
      duplicateIds: ids.length - new Set(ids).size,
      duplicateContents: contents.length - new Set(contents).size,
      enginePidsSeen: new Set(pids).size,
      orphansAfterKills: orphansSeen,
      orphansAfterStop: leftOver.length,
      wallS: Math.round((Date.now() - t0) / 1000),
    });
    expect(state, 'end state').to.deep.equal(reference!.state);
    expect(new Set(ids).size, 'decision ids').to.equal(ids.length);
    expect(new Set(contents).size, `decision contents:\n${contents.join('\n')}`).to.equal(contents.length);
    expect(contents, 'the same decisions as the run without kills').to.deep.equal(reference!.contents);
    expect(orphansSeen, 'processes of a killed mi up still alive at its restart').to.equal(0);
    expect(leftOver, 'processes left after the stop').to.deep.equal([]);
  });
});
