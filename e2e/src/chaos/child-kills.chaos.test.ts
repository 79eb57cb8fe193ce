// Chaos (#18): `mi up`'s own children killed alone. SIGKILL of its gateway, then of its nats-server
// (with users and TLS, the default): `mi up` restarts each on the same port, store and
// credentials; the gateway serves again, and after the NATS restart a new Model goes through
// the whole control plane (apply, controllers, actuator, projector, the gateway's watch) and is
// served. Stopping `mi up` afterwards leaves none of the restarted processes behind.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@matrixinfer/events/testing';
import { printFigures } from '../support/chaos.js';
import { ChildSet, pidAlive } from '../support/children.js';
import { miOk } from '../support/mi.js';
import { startSecureMiUp, type SecureMiUp } from '../support/mi-up.js';
import { modelYaml, writeManifest } from '../support/manifests.js';
import { waitFor } from '../support/poll.js';

const FIRST = 'chaos-kids';
const LATE = 'chaos-kids-late';

// The pids `mi up` recorded for its children (the file its orphan reaper reads).
function recorded(dataDir: string): { nats?: number; gateway?: number } {
  const lines = readFileSync(join(dataDir, 'children.pids'), 'utf8').trim().split('\n');
  const pid = (marker: string) => lines.map((l) => l.split(' ')).find(([, m]) => m === marker)?.[0];
  const n = pid('nats-server');
  const g = pid('mi-gateway');
  return { nats: n === undefined ? undefined : Number(n), gateway: g === undefined ? undefined : Number(g) };
}

async function served(gatewayUrl: string, model: string): Promise<boolean> {
  const r = await fetch(`${gatewayUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }), signal: AbortSignal.timeout(5000) }).catch(() => null);
  if (r === null) return false;
  await r.arrayBuffer();
  return r.status === 200;
}

describe('chaos: mi up restarts its own gateway and nats-server when they are killed', function () {
  this.timeout(180_000);
  const children = new ChildSet();
  let dataDir: string;
  let up: SecureMiUp;
  const seen = new Set<number>();

  before(async function () {
    this.timeout(120_000);
    dataDir = mkdtempSync(join(tmpdir(), 'mi-chaos-kids-'));
    const manifest = writeManifest(dataDir, 'first.yaml', modelYaml({ name: FIRST, replicas: 1 }));
    up = await startSecureMiUp(children, dataDir, await freePort(), ['--gateways', '1', '--gateway-port', String(await freePort()), '--apply', manifest]);
    await waitFor('the first model served', async () => (await served(up.gatewayUrls[0], FIRST)) || undefined, { timeoutMs: 60_000 });
  });
  after(async function () {
    this.timeout(30_000);
    if (up) await children.stop(up.child, 15_000);
    await children.killAll();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a killed gateway is restarted on its port and serves again', async () => {
    const before = recorded(dataDir);
    expect(before.gateway).to.be.a('number');
    seen.add(before.gateway!);
    const killedAt = Date.now();
    process.kill(before.gateway!, 'SIGKILL');
    await waitFor('gw-0 restarted', () => /gw-0 restarted \(pid \d+, restart 1\)/.test(up.child.output()) || undefined, { timeoutMs: 30_000, describe: () => up.child.output() });
    await waitFor('the gateway serving again', async () => (await served(up.gatewayUrls[0], FIRST)) || undefined, { timeoutMs: 30_000 });
    const servingMs = Date.now() - killedAt;
    const after = recorded(dataDir);
    expect(after.gateway).to.not.equal(before.gateway);
    expect(pidAlive(after.gateway!)).to.equal(true);
    seen.add(after.gateway!);
    expect(up.child.output()).to.match(/warning: gw-0 exited unexpectedly \(SIGKILL\); restarting it in 500 ms/);
    printFigures('child-kills: gateway', { killedToServingMs: servingMs });
  });

  it('a killed nats-server is restarted on its port and store; the control plane reconnects and serves a new Model', async () => {
    const before = recorded(dataDir);
    seen.add(before.nats!);
    const killedAt = Date.now();
    process.kill(before.nats!, 'SIGKILL');
    await waitFor('nats-server restarted', () => /nats-server restarted \(pid \d+, restart 1\)/.test(up.child.output()) || undefined, { timeoutMs: 30_000, describe: () => up.child.output() });
    const restartedMs = Date.now() - killedAt;
    const after = recorded(dataDir);
    expect(after.nats).to.not.equal(before.nats);
    seen.add(after.nats!);
    // The old table keeps the first model served meanwhile; the new NATS must then carry a change end to end.
    expect(await served(up.gatewayUrls[0], FIRST)).to.equal(true);
    const applyAt = Date.now();
    await waitFor('mi apply accepted by the restarted NATS', async () => {
      const out = await miOk(up.natsUrl, ['apply', '-f', writeManifest(dataDir, 'late.yaml', modelYaml({ name: LATE, replicas: 1 }))], { env: up.miEnv, timeoutMs: 20_000 }).catch(() => null);
      return out ?? undefined;
    }, { timeoutMs: 60_000, everyMs: 1000 });
    await waitFor('the new model served through the gateway', async () => (await served(up.gatewayUrls[0], LATE)) || undefined, { timeoutMs: 60_000 });
    // The store survived: the first model is still declared.
    expect(await miOk(up.natsUrl, ['get', 'models'], { env: up.miEnv })).to.include(FIRST);
    printFigures('child-kills: nats-server', { killedToRestartedMs: restartedMs, applyToServedMs: Date.now() - applyAt });
  });

  it('stopping mi up stops the restarted children too', async () => {
    await children.stop(up.child, 15_000);
    expect(up.child.output()).to.include('stopped.');
    await waitFor('every child gone', () => [...seen].every((p) => !pidAlive(p)) || undefined, { timeoutMs: 10_000 });
  });
});
