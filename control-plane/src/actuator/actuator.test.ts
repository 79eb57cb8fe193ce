// Integration tests of the local actuator against a real nats-server and real child processes
// (the fake-engine fixture, and the built-in simulator).
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import winston from 'winston';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { decodeSample, INSTANCES_DECISION, decisionSubject, type EngineSample, type InstanceObservation, type InstanceSpec } from '@matrixinfer/events';
import { startCollector } from '../collector/collector.js';
import { publishEnvelope } from './bus.js';
import { startLocalActuator, type LocalActuator } from './actuator.js';
import { writePidFile } from './pidfile.js';
import { processRunning, resolveSimulatorCommand } from './process.js';
import { makeSpec } from './testing.js';
import { startHubFixture } from '../download/testing.js';
import type { CoreObjectReader } from '../api/core-store.js';
import type { CoreObject } from '../api/core-objects.js';

const FAKE_ENGINE = fileURLToPath(new URL('./fixtures/fake-engine.cjs', import.meta.url));
const RUN_ACTUATOR = fileURLToPath(new URL('./fixtures/run-actuator.ts', import.meta.url));
const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });

const alive = processRunning;

// Watchdog processes started by an actuator whose environment names `dataDir`.
function watchdogsOf(dataDir: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'latin1');
      if (cmd.includes('watchdog.cjs') && readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`MI_DATA_DIR=${dataDir}`)) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('actuator/startLocalActuator (real nats-server, real processes)', function () {
  this.timeout(30_000);
  let server: TestNatsServer;
  let nc: NatsConnection;
  let sub: Subscription;
  let observations: InstanceObservation[] = [];
  let dataDir: string;
  let actuator: LocalActuator | undefined;
  const extraChildren: ChildProcess[] = [];
  let ns = 0;

  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'MI_DECISIONS', subjects: ['mi.decisions.>'] });
    await jsm.streams.add({ name: 'MI_OBSERVED', subjects: ['mi.observed.>'] });
    sub = nc.subscribe('mi.observed.instance.>', {
      callback: (_err, m) => {
        observations.push((m.json() as { data: InstanceObservation }).data);
      },
    });
  });
  after(async () => {
    sub?.unsubscribe();
    await nc?.close();
    await server?.close();
  });
  beforeEach(async () => {
    // Each test starts from an empty decision log (an actuator follows every namespace).
    await (await jetstreamManager(nc)).streams.purge('MI_DECISIONS');
    observations = [];
    dataDir = mkdtempSync(join(tmpdir(), 'mi-actuator-'));
    ns += 1;
  });
  afterEach(async () => {
    await actuator?.stop();
    actuator = undefined;
    // Belt and braces: whatever a failed test left, kill it.
    for (const o of observations) if (o.pid !== undefined) try { process.kill(-o.pid, 'SIGKILL'); } catch { /* gone */ }
    for (const c of extraChildren.splice(0)) if (c.pid !== undefined) try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Brings the server back and waits until our connection uses JetStream again.
  async function restartNats(): Promise<void> {
    await server.start();
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await (await jetstreamManager(nc, { timeout: 1000 })).streams.info('MI_DECISIONS');
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  const namespace = (): string => `t${ns}`;
  function spec(name: string, extra: Partial<InstanceSpec> = {}): InstanceSpec {
    return makeSpec({ name, namespace: namespace(), modelInfer: 'mi1', ...extra });
  }
  async function decide(instances: InstanceSpec[], modelInfer = 'mi1'): Promise<void> {
    const subject = decisionSubject('infer', namespace(), modelInfer);
    await publishEnvelope(jetstream(nc), INSTANCES_DECISION, 'test', subject, { modelInfer, namespace: namespace(), generation: 1, instances, reason: 'test' }, Date.now());
  }
  function start(extra: { startupTimeoutMs?: number; simulatorCommand?: string[]; resyncMs?: number; drainTimeoutMs?: number; envSources?: CoreObjectReader; engineInstalled?: (argv: readonly string[]) => Promise<boolean> } = {}): Promise<LocalActuator> {
    return startLocalActuator({ nc, dataDir, logger, simulatorCommand: [process.execPath, FAKE_ENGINE], startupTimeoutMs: 10_000, stopGraceMs: 2000, handleSignals: false, drainGraceMs: 50, ...extra });
  }
  const seen = (instance: string, phase: InstanceObservation['phase']): InstanceObservation | undefined =>
    observations.find((o) => o.namespace === namespace() && o.instance === instance && o.phase === phase);

  it('starts the desired instances, reports them ready, stops the one dropped from the set', async () => {
    actuator = await start();
    await decide([spec('a', { env: { EXTRA: 'yes' } }), spec('b', { roleIndex: 1 })]);
    const readyA = await waitFor('a ready', () => seen('a', 'ready'));
    const readyB = await waitFor('b ready', () => seen('b', 'ready'));
    expect(seen('a', 'starting')!.pid).to.equal(readyA.pid);
    expect(observations.indexOf(seen('a', 'starting')!)).to.be.lessThan(observations.indexOf(readyA));
    expect(readyA.address).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(readyA.address).to.not.equal(readyB.address);
    expect((await fetch(`${readyA.address}/health`)).status).to.equal(200);
    const { env } = (await (await fetch(`${readyA.address}/env`)).json()) as { env: Record<string, string> };
    expect(env).to.include({ EXTRA: 'yes', MI_INSTANCE: 'a', MI_ROLE: 'leader', MI_GROUP: '0', WORKER_INDEX: '0', GROUP_SIZE: '1', ENTRY_ADDRESS: '127.0.0.1' });
    expect(actuator.instances().map((i) => [i.name, i.phase])).to.deep.equal([['a', 'ready'], ['b', 'ready']]);
    expect(readFileSync(actuator.instances()[0].logPath!, 'utf8')).to.match(/^--- .* starting a \(revision r1\): .*fake-engine\.cjs --port \d+\nlistening \d+/);

    await decide([spec('a', { env: { EXTRA: 'yes' } })]);
    const stopped = await waitFor('b stopped', () => seen('b', 'stopped'));
    expect(stopped.pid).to.equal(readyB.pid);
    await waitFor('b gone', () => !alive(readyB.pid!));
    expect(alive(readyA.pid!)).to.equal(true);
    expect(actuator.instances().map((i) => i.name)).to.deep.equal(['a']);
  });

  it('re-reports ready instances periodically so their state never ages out of MI_OBSERVED', async () => {
    actuator = await start({ resyncMs: 200 });
    await decide([spec('a')]);
    const ready = await waitFor('a ready', () => seen('a', 'ready'));
    const again = await waitFor('a re-reported', () =>
      observations.find((o) => o.namespace === namespace() && o.instance === 'a' && o.phase === 'ready' && o.reason === 'periodic re-report: still ready'),
    );
    expect(again.pid).to.equal(ready.pid);
    expect(again.address).to.equal(ready.address);
  });

  it('drains a removed ready instance: stopped only once its engine runs no request (regression: 502s on scale-down)', async () => {
    actuator = await start();
    await decide([spec('a'), spec('b', { roleIndex: 1 })]);
    const readyB = await waitFor('b ready', () => seen('b', 'ready'));
    await waitFor('a ready', () => seen('a', 'ready'));
    await fetch(`${readyB.address}/busy/2`);
    await decide([spec('a')]);
    // Still serving its two requests well after the drain grace: not stopped yet.
    await new Promise((r) => setTimeout(r, 600));
    expect(seen('b', 'stopped')).to.equal(undefined);
    expect(alive(readyB.pid!)).to.equal(true);
    await fetch(`${readyB.address}/busy/0`);
    const stopped = await waitFor('b stopped', () => seen('b', 'stopped'));
    expect(stopped.reason).to.equal('no longer in the desired instance set; drained (idle)');
    await waitFor('b gone', () => !alive(readyB.pid!));
  });

  it('gives up draining after drainTimeoutMs', async () => {
    actuator = await start({ drainTimeoutMs: 300 });
    await decide([spec('a')]);
    const ready = await waitFor('a ready', () => seen('a', 'ready'));
    await fetch(`${ready.address}/busy/1`);
    await decide([]);
    const stopped = await waitFor('a stopped', () => seen('a', 'stopped'));
    expect(stopped.reason).to.equal('no longer in the desired instance set; drained (timeout)');
  });

  it('replaces an instance whose spec changed (new incarnation)', async () => {
    actuator = await start();
    await decide([spec('a')]);
    const first = await waitFor('a ready', () => seen('a', 'ready'));
    await decide([{ ...spec('a'), incarnation: 1 }]);
    const stopped = await waitFor('a stopped', () => seen('a', 'stopped'));
    expect(stopped.reason).to.equal('replaced: incarnation 0 → 1; drained (idle)');
    expect(stopped).to.not.have.property('incarnation');
    const second = await waitFor('a ready again', () => observations.filter((o) => o.namespace === namespace() && o.instance === 'a' && o.phase === 'ready')[1]);
    expect(second.incarnation).to.equal(1);
    expect(second.pid).to.not.equal(first.pid);
    await waitFor('old process gone', () => !alive(first.pid!));
  });

  it('reports exited when a ready child is killed, and does not restart it by itself', async () => {
    actuator = await start();
    await decide([spec('a')]);
    const ready = await waitFor('a ready', () => seen('a', 'ready'));
    process.kill(ready.pid!, 'SIGKILL');
    const exited = await waitFor('a exited', () => seen('a', 'exited'));
    expect(exited.signal).to.equal('SIGKILL');
    expect(actuator.instances()[0].phase).to.equal('exited');
    expect(observations.filter((o) => o.namespace === namespace() && o.phase === 'starting')).to.have.length(1);
  });

  it('an observation made while NATS is down is published once it is back', async () => {
    actuator = await start();
    await decide([spec('a')]);
    const ready = await waitFor('a ready', () => seen('a', 'ready'));
    await server.stop();
    try {
      process.kill(ready.pid!, 'SIGKILL');
      await waitFor('exit noticed', () => actuator!.instances()[0].phase === 'exited');
    } finally {
      await restartNats();
    }
    const exited = await waitFor('a exited, after the outage', () => seen('a', 'exited'), 20_000);
    expect(exited.signal).to.equal('SIGKILL');
    expect(observations.filter((o) => o.namespace === namespace() && o.phase === 'exited')).to.have.length(1);
  });

  it('stop() while NATS is down still kills every child, without hanging', async () => {
    actuator = await start();
    await decide([spec('a'), spec('b', { roleIndex: 1 })]);
    const a = await waitFor('a ready', () => seen('a', 'ready'));
    const b = await waitFor('b ready', () => seen('b', 'ready'));
    await server.stop();
    const t0 = Date.now();
    try {
      await actuator.stop();
      actuator = undefined;
    } finally {
      await restartNats();
    }
    expect(Date.now() - t0).to.be.lessThan(6000);
    expect(alive(a.pid!)).to.equal(false);
    expect(alive(b.pid!)).to.equal(false);
  });

  it('reports failed on health timeout, on exit before ready and on a missing program, and kills the timed-out process', async () => {
    // Long enough that the crashing child exits before its health deadline even on a loaded machine.
    actuator = await start({ startupTimeoutMs: 5000 });
    await decide([
      spec('slow', { env: { FAKE_NEVER_HEALTHY: '1' } }),
      spec('crash', { roleIndex: 1, env: { FAKE_EXIT_CODE: '3' } }),
      spec('missing', { roleIndex: 2, command: ['/nonexistent/engine', 'serve'] }),
    ]);
    const missing = await waitFor('missing failed', () => seen('missing', 'failed'));
    expect(missing.reason).to.match(/cannot start \/nonexistent\/engine: .*ENOENT/);
    const slow = await waitFor('slow failed', () => seen('slow', 'failed'));
    expect(slow.reason).to.match(/health check timed out/);
    const crash = await waitFor('crash failed', () => seen('crash', 'failed'));
    expect(crash.reason).to.match(/exited before ready/);
    expect(crash.exitCode).to.equal(3);
    await waitFor('slow killed', () => !alive(slow.pid!));
  });

  it('resolves env valueFrom and envFrom from stored Secrets and ConfigMaps; a missing one fails the instance naming it', async () => {
    const objects: CoreObject[] = [
      { kind: 'Secret', namespace: namespace(), name: 'hf', data: { token: 'hf_secret' }, sha256: 'sha256:x' },
      { kind: 'ConfigMap', namespace: namespace(), name: 'cfg', data: { LOG_LEVEL: 'debug', EXTRA: 'from-map' }, sha256: 'sha256:y' },
    ];
    const envSources: CoreObjectReader = { get: async (kind, n, name) => objects.find((o) => o.kind === kind && o.namespace === n && o.name === name) ?? null };
    actuator = await start({ envSources });
    await decide([
      spec('ok', { env: { EXTRA: 'literal' }, valueFrom: { HF_TOKEN: { secretKeyRef: { name: 'hf', key: 'token' } } }, envFrom: [{ configMapRef: { name: 'cfg' } }] }),
      spec('gone', { roleIndex: 1, valueFrom: { HF_TOKEN: { secretKeyRef: { name: 'absent', key: 'token' } } } }),
    ]);
    const ok = await waitFor('ok ready', () => seen('ok', 'ready'));
    const { env } = (await (await fetch(`${ok.address}/env`)).json()) as { env: Record<string, string> };
    // env[] wins over envFrom, as in a Pod.
    expect(env).to.include({ HF_TOKEN: 'hf_secret', LOG_LEVEL: 'debug', EXTRA: 'literal' });
    const gone = await waitFor('gone failed', () => seen('gone', 'failed'));
    expect(gone.reason).to.match(new RegExp(`Secret ${namespace()}/absent does not exist \\(for HF_TOKEN\\)`));
  });

  it('runs the simulator with the derived simulator args in place of an engine that is not installed, and says so in the observation', async () => {
    const probed: string[][] = [];
    actuator = await start({ engineInstalled: async (argv) => (probed.push([...argv]), false) });
    await decide([spec('real', { command: ['vllm', 'serve', 'org/m'], args: ['--port', '$(PORT)'], simulatorArgs: ['--served-model-name', 'm'], env: { FAKE_MARK: 'sim' } })]);
    const ready = await waitFor('real ready', () => seen('real', 'ready'));
    expect(ready.simulatedEngine).to.equal('vllm');
    expect(probed[0]).to.deep.equal(['vllm', 'serve', 'org/m', '--port', '$(PORT)']); // command and args: a script may sit in either
    // The simulator got the derived args (and its port), the spec's env stays.
    expect(readFileSync(actuator.instances()[0].logPath!, 'utf8')).to.match(/fake-engine\.cjs --served-model-name m --port \d+/);
    const { env } = (await (await fetch(`${ready.address}/env`)).json()) as { env: Record<string, string> };
    expect(env.FAKE_MARK).to.equal('sim');
  });

  it('a real engine gets its weights first: the template\'s mi download init containers run into <dataDir>/models, and the engine args point there', async () => {
    const hub = await startHubFixture({ repo: 'org/tiny', files: { 'config.json': Buffer.from('{"a":1}'), 'model.safetensors': Buffer.from('weights') } });
    const bin = mkdtempSync(join(tmpdir(), 'mi-engine-bin-'));
    try {
      // An "installed engine": a program on disk that runs the fake engine with its arguments.
      const engine = join(bin, 'vllm');
      writeFileSync(engine, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(FAKE_ENGINE)} "$@"\n`);
      chmodSync(engine, 0o755);
      actuator = await start({ engineInstalled: async () => true });
      const template = { spec: { initContainers: [{ name: 'download-model', image: 'matrixinfer/mi:latest', command: ['mi', 'download'], args: ['--source', 'hf://org/tiny', '--output-dir', '/models/org/tiny'] }], containers: [{ name: 'engine', image: 'vllm/vllm-openai:v0.8.5' }] } };
      await decide([spec('real', { command: [engine, 'serve', '/models/org/tiny'], args: ['--port', '$(PORT)', '--download-dir=/models/org/tiny'], env: { HF_ENDPOINT: hub.url }, template } as Partial<InstanceSpec>)]);
      const ready = await waitFor('real ready', () => seen('real', 'ready') ?? seen('real', 'failed'));
      expect(ready.phase, ready.reason).to.equal('ready');
      expect(ready.simulatedEngine).to.equal(undefined);
      const { argv } = (await (await fetch(`${ready.address}/env`)).json()) as { argv: string[] };
      const local = join(dataDir, 'models', 'org', 'tiny');
      expect(argv.slice(0, 2)).to.deep.equal(['serve', local]);
      expect(argv).to.include(`--download-dir=${local}`);
      expect(readFileSync(join(local, 'model.safetensors'), 'utf8')).to.equal('weights');
      expect(readFileSync(actuator.instances()[0].logPath!, 'utf8')).to.match(/download-model: mi download --source hf:\/\/org\/tiny[\s\S]*\[2\/2\] model\.safetensors/);
    } finally {
      await hub.close();
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('a worker gets its entry port and the group size', async () => {
    actuator = await start();
    const entry = spec('g-0', { role: 'r', entry: true });
    const worker = spec('g-1', { role: 'r', entry: false, podIndex: 1 });
    await decide([worker, entry]);
    const e = await waitFor('entry ready', () => seen('g-0', 'ready'));
    const w = await waitFor('worker ready', () => seen('g-1', 'ready'));
    const { env } = (await (await fetch(`${w.address}/env`)).json()) as { env: Record<string, string> };
    expect(env).to.include({ ENTRY_PORT: new URL(e.address!).port, WORKER_INDEX: '1', GROUP_SIZE: '2' });
  });

  it('stop() kills every child and its grandchildren (process groups)', async () => {
    actuator = await start();
    await decide([spec('a', { env: { FAKE_GRANDCHILD: '1' } }), spec('b')]);
    const a = await waitFor('a ready', () => seen('a', 'ready'));
    const b = await waitFor('b ready', () => seen('b', 'ready'));
    const logPath = actuator.instances()[0].logPath!;
    const grandchild = Number(/grandchild (\d+)/.exec(readFileSync(logPath, 'utf8'))![1]);
    expect(alive(grandchild)).to.equal(true);
    await actuator.stop();
    actuator = undefined;
    expect(alive(a.pid!)).to.equal(false);
    expect(alive(b.pid!)).to.equal(false);
    await waitFor('grandchild gone', () => !alive(grandchild), 3000);
    expect(seen('a', 'stopped')?.reason).to.match(/shutting down/);
    expect(JSON.parse(readFileSync(join(dataDir, 'actuator', 'pids.json'), 'utf8'))).to.deep.equal([]);
  });

  it('starts from the latest decision of each ModelInfer published before it started', async () => {
    await decide([spec('old')]);
    await decide([spec('new')]);
    await decide([spec('other')], 'mi2');
    actuator = await start();
    await waitFor('new ready', () => seen('new', 'ready'));
    await waitFor('other ready', () => seen('other', 'ready'));
    expect(seen('old', 'starting')).to.equal(undefined);
  });

  it('on restart, kills stale children recorded in the pid file that are ours, and only those', async () => {
    // Port 0: the stale child only has to exist.
    const stale = spawn(process.execPath, [FAKE_ENGINE, '--port', '0'], { detached: true, stdio: 'ignore', env: { ...process.env, MI_INSTANCE: 'stale-1' } });
    const stranger = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
    extraChildren.push(stale, stranger);
    writePidFile(join(dataDir, 'actuator', 'pids.json'), [
      { pid: stale.pid!, instance: 'stale-1', namespace: namespace(), modelInfer: 'mi1', revision: 'r0', labels: {} },
      { pid: stranger.pid!, instance: 'stale-2', namespace: namespace(), modelInfer: 'mi1', revision: 'r0', labels: {} },
    ]);
    actuator = await start();
    expect(alive(stale.pid!)).to.equal(false);
    expect(alive(stranger.pid!)).to.equal(true);
    const obs = await waitFor('stale stopped', () => seen('stale-1', 'stopped'));
    expect(obs.reason).to.match(/previous actuator run/);
  });

  it('a SIGKILLed actuator leaves no child behind (watchdog), and its successor starts fresh', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', RUN_ACTUATOR], {
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NATS_URL: server.url, MI_DATA_DIR: dataDir, FAKE_ENGINE },
    });
    extraChildren.push(proc);
    await decide([spec('a'), spec('b')]);
    const a = await waitFor('a ready', () => seen('a', 'ready'), 20_000);
    const b = await waitFor('b ready', () => seen('b', 'ready'), 20_000);
    const watchdogs = watchdogsOf(dataDir);
    expect(watchdogs).to.have.length(1);
    process.kill(proc.pid!, 'SIGKILL');
    await waitFor('children gone', () => !alive(a.pid!) && !alive(b.pid!));
    await waitFor('watchdog gone', () => !alive(watchdogs[0]));
    observations = [];
    actuator = await start();
    const again = await waitFor('a ready again', () => seen('a', 'ready'));
    expect(again.pid).to.not.equal(a.pid);
  });

  it('runs the built-in simulator (vLLM and SGLang flavours), which the collector then samples', async () => {
    // The simulator is part of this repository: not finding it is a failure, not a reason to skip.
    const sim = resolveSimulatorCommand();
    actuator = await start({ simulatorCommand: sim });
    const collector = await startCollector({ nc, logger, intervalMs: 200 });
    const samples: EngineSample[] = [];
    const metrics = nc.subscribe(`mi.metrics.engine.${namespace()}.*`, {
      callback: (_err, m) => {
        samples.push(decodeSample<EngineSample>(m.string())!);
      },
    });
    try {
      await decide([spec('sim', { args: ['--model', 'm'] }), spec('sims', { roleIndex: 1, engine: 'SGLang', args: ['--model', 'm'] })]);
      const ready = await waitFor('sim ready', () => seen('sim', 'ready') ?? seen('sim', 'failed'), 20_000);
      expect(ready.phase, ready.reason).to.equal('ready');
      const readyS = await waitFor('sims ready', () => seen('sims', 'ready') ?? seen('sims', 'failed'), 20_000);
      expect(readyS.phase, readyS.reason).to.equal('ready');
      // The collector learns the endpoints from the observations and samples both simulators.
      const sample = await waitFor('a sample of the vLLM simulator', () => samples.find((x) => x.endpoint === 'sim'));
      expect(sample).to.deep.include({ endpoint: 'sim', address: ready.address, target: 'mi1', engine: 'vLLM', running: 0, waiting: 0, blockSize: 16 });
      expect(sample.kvBlocks).to.be.greaterThan(0);
      const sampleS = await waitFor('a sample of the SGLang simulator', () => samples.find((x) => x.endpoint === 'sims'));
      expect(sampleS).to.deep.include({ endpoint: 'sims', address: readyS.address, engine: 'SGLang', running: 0, waiting: 0 });
      // The ready observation's pid leads the simulator's process group: /proc gives its memory,
      // and its CPU from the second sample on (issue #17's resource signals, end to end).
      expect(ready.pid).to.be.a('number');
      if (process.platform === 'linux') {
        const withCpu = await waitFor('a sample with CPU', () => samples.find((x) => x.endpoint === 'sim' && x.cpuCores !== undefined));
        expect(withCpu.memoryBytes).to.be.greaterThan(10 * 1024 * 1024);
        expect(withCpu.cpuCores).to.be.at.least(0);
      }
    } finally {
      metrics.unsubscribe();
      await collector.stop();
    }
  });
});
