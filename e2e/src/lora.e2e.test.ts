// LoRA adapters live, through the whole system (#16): a Model of two simulator replicas under
// steady load gets an adapter with `mi apply`; no request fails, no replica restarts, the
// ModelInfer revision stays, requests for the adapter are served and every replica lists it
// within 5 s. A replica killed with SIGKILL comes back with the adapter loaded within 10 s of
// being ready again.
import { expect } from 'chai';
import { ChildSet, pidAlive } from './support/children.js';
import { miOk } from './support/mi.js';
import { writeManifest } from './support/manifests.js';
import { readRoute } from './support/nats.js';
import { waitFor } from './support/poll.js';
import { startE2eSystem, type E2eSystem } from './support/system.js';

const MODEL = 'e2e-lora';
const INFER = `${MODEL}-sim`;

function loraModelYaml(adapters: string[]): string {
  return [
    'apiVersion: registry.matrixinfer.ai/v1alpha1',
    'kind: Model',
    'metadata:',
    `  name: ${MODEL}`,
    'spec:',
    '  backends:',
    '    - name: sim',
    '      type: vLLM',
    '      modelURI: hf://e2e/tiny',
    '      minReplicas: 2',
    '      maxReplicas: 2',
    `      loraAdapters: ${adapters.length === 0 ? '[]' : ''}`,
    ...adapters.map((a) => `        - { name: ${a}, artifactURL: "hf://e2e/${a}" }`),
    '      workers:',
    '        - type: server',
    '          config: { profile: cpu-small, itl-ms: 1, lora-load-delay-ms: 300 }',
    '',
  ].join('\n');
}

async function complete(url: string, model: string): Promise<{ status: number; endpoint: string | null }> {
  const r = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, prompt: 'hello', max_tokens: 4 }), signal: AbortSignal.timeout(20_000) });
  await r.arrayBuffer();
  return { status: r.status, endpoint: r.headers.get('x-mi-endpoint') };
}

describe('LoRA adapters loaded live under load (mi CLI, control plane, simulators, gateway)', function () {
  this.timeout(120_000);
  const children = new ChildSet();
  let e: E2eSystem;
  const seenPids = new Set<number>();
  const ready = () => e.sys!.actuator.instances().filter((i) => i.modelInfer === INFER && i.phase === 'ready');
  const remember = () => e?.sys?.actuator.instances().forEach((i) => i.pid && seenPids.add(i.pid));

  before(async function () {
    this.timeout(60_000);
    e = await startE2eSystem(children, 'e2e-lora');
  });
  after(async function () {
    this.timeout(30_000);
    remember();
    await e?.close(children, seenPids);
  });

  it('adding an adapter under steady load: 0 failed requests, 0 restarts, same revision, adapter served within 5 s', async () => {
    await miOk(e.server.url, ['apply', '-f', writeManifest(e.dataDir, 'm0.yaml', loraModelYaml([]))]);
    await waitFor('two replicas routed', async () => (await readRoute(e.kv, MODEL))?.servers[INFER]?.endpoints.length === 2, { timeoutMs: 60_000 });
    await waitFor('the gateway serves the model', async () => (await complete(e.gw.url, MODEL)).status === 200, { timeoutMs: 20_000, everyMs: 200 });
    const before = ready().map((i) => `${i.name}:${i.pid}:${i.revision}`).sort();
    remember();

    // Steady load on the base model: 4 clients in a loop until told to stop.
    let running = true;
    const statuses: number[] = [];
    const clients = Array.from({ length: 4 }, async () => {
      while (running) statuses.push((await complete(e.gw.url, MODEL)).status);
    });
    await waitFor('some load', () => statuses.length >= 20, { timeoutMs: 20_000 });

    const t0 = Date.now();
    await miOk(e.server.url, ['apply', '-f', writeManifest(e.dataDir, 'm1.yaml', loraModelYaml(['sql']))]);
    // Requests for the adapter from the moment its name is routable: held until loaded, never failed.
    await waitFor('the adapter name routable', async () => (await readRoute(e.kv, 'sql')) !== null, { timeoutMs: 10_000, everyMs: 50 });
    const sql = await Promise.all(Array.from({ length: 4 }, () => complete(e.gw.url, 'sql')));
    const servedMs = Date.now() - t0;
    // The gateway releases held adapter requests as soon as ONE replica lists the adapter, so the
    // other may land in mi-routes a few ms after they are answered (CI flake: [['sql'],[]] read
    // 12 ms before the second replica's observation). Each replica must list it within the same
    // 5 s of the apply: poll until then, keeping the last read for the assertion.
    let listed: (string[] | undefined)[] | undefined;
    let listedMs = 0;
    const everyReplica = JSON.stringify([['sql'], ['sql']]);
    await waitFor('sql listed on every replica', async () => {
      listed = (await readRoute(e.kv, 'sql'))?.servers[INFER]?.endpoints.map((x) => x.adapters);
      listedMs = Date.now() - t0;
      return JSON.stringify(listed) === everyReplica;
    }, { timeoutMs: Math.max(0, 5000 - (Date.now() - t0)), everyMs: 20 }).catch(() => undefined);
    await waitFor('more load after the change', () => statuses.length >= 80, { timeoutMs: 30_000 });
    running = false;
    await Promise.all(clients);

    expect(sql.map((r) => r.status), 'adapter requests').to.deep.equal([200, 200, 200, 200]);
    expect(servedMs, 'apply -> adapter requests answered (ms)').to.be.below(5000);
    expect(statuses.filter((s) => s !== 200), 'failed base-model requests').to.deep.equal([]);
    expect(ready().map((i) => `${i.name}:${i.pid}:${i.revision}`).sort(), 'replicas (name:pid:revision)').to.deep.equal(before);
    expect(listed, 'adapters listed per replica (mi-routes)').to.deep.equal([['sql'], ['sql']]);
    expect(listedMs, 'apply -> adapter listed on every replica (ms)').to.be.below(5000);
  });

  it('kill -9 a replica: the recreated engine has the adapter again within 10 s of being ready', async () => {
    const [victim] = ready();
    process.kill(victim.pid!, 'SIGKILL');
    const back = await waitFor('the replica ready in a new process', () => {
      remember();
      const now = ready().find((i) => i.name === victim.name);
      return now && now.pid !== victim.pid ? now : undefined;
    }, { timeoutMs: 45_000 });
    const t0 = Date.now();
    expect(pidAlive(victim.pid!)).to.equal(false);
    await waitFor('mi-routes lists sql on the recreated replica', async () => {
      const eps = (await readRoute(e.kv, 'sql'))?.servers[INFER]?.endpoints ?? [];
      return eps.some((x) => x.id === victim.name && x.address === back.address && x.adapters?.includes('sql'));
    }, { timeoutMs: 15_000, everyMs: 50 });
    expect(Date.now() - t0, 'ready -> adapter back (ms)').to.be.below(10_000);
    expect((await complete(e.gw.url, 'sql')).status).to.equal(200);
  });
});
