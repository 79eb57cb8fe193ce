// Autoscaler benchmark (issue 7): the control plane composition (with the autoscaler), one
// gateway process and simulator replicas on a test nats-server. A Model backend scales on
// gateway in-flight requests (target per replica = --target). Measures and prints:
//   1. time from zero replicas to the first token of one streaming request (the client retries
//      a 503 after Retry-After), and how a burst of --burst requests at zero fares,
//   2. reaction time to a 3x load step (step -> ModelInfer.spec.replicas raised) and the time
//      until the new replicas are ready and routed,
//   3. scale events under steady load over --steady-windows stable windows,
//   4. time from removing the load to the first scale-down and to minReplicas.
//   node --import tsx e2e/bench/autoscaler.ts [--stable-window 10s] [--tick-ms 500]
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { defaultComponents, startAutoscaler, startControlPlane, type AutoscalerDecisionData, type ControlPlane } from '@matrixinfer/control-plane';
import { connectNats, createResourceStore, decisionSubject } from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { parseDurationMs, type ModelInfer } from '@matrixinfer/schemas';
import { ClosedLoopLoad } from '../src/autoscaler-load.js';
import { ChildSet } from '../src/support/children.js';
import { autoscaledSimModel, inflightPolicy } from '../src/support/manifests.js';
import { entryEndpoints, readRoute, readStream, routesKv } from '../src/support/nats.js';
import { waitFor } from '../src/support/poll.js';
import { fileLogger, startGatewayProcess } from '../src/support/system.js';

const { values: opt } = parseArgs({
  options: {
    'stable-window': { type: 'string', default: '10s' },
    'panic-window-percent': { type: 'string', default: '20' },
    'tick-ms': { type: 'string', default: '500' },
    target: { type: 'string', default: '2' },
    base: { type: 'string', default: '2' },
    'steady-windows': { type: 'string', default: '3' },
    burst: { type: 'string', default: '50' },
    grace: { type: 'string', default: '3s' },
  },
});
const MODEL = 'bench-scale';
const INFER = `${MODEL}-sim`;
const stableMs = parseDurationMs(opt['stable-window']) ?? 10_000;
const tickMs = Number(opt['tick-ms']);
const target = Number(opt.target);
const base = Number(opt.base);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** One streaming completion; retries 503 after Retry-After. Resolves with time to first token and the 503s seen. */
async function firstToken(url: string, deadlineMs: number): Promise<{ ttftMs: number; retries: number; ok: boolean; error?: string }> {
  const start = Date.now();
  let retries = 0;
  while (Date.now() < deadlineMs) {
    const res = await fetch(`${url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, prompt: 'hello', max_tokens: 8, stream: true }),
    });
    if (res.status === 503) {
      retries++;
      await res.arrayBuffer();
      await sleep(Math.max(100, Number(res.headers.get('retry-after') ?? '0') * 1000));
      continue;
    }
    if (!res.ok || !res.body) return { ttftMs: Date.now() - start, retries, ok: false, error: `${res.status} ${await res.text()}` };
    const reader = res.body.getReader();
    const first = await reader.read();
    const ttftMs = Date.now() - start;
    while (!(await reader.read()).done) {
      /* drain */
    }
    return { ttftMs, retries, ok: first.value !== undefined };
  }
  return { ttftMs: Date.now() - start, retries, ok: false };
}

async function main(): Promise<void> {
  const children = new ChildSet();
  let server: TestNatsServer | undefined;
  let cp: ControlPlane | undefined;
  let nc: NatsConnection | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'mi-bench-autoscaler-'));
  const lines: string[] = [];
  const out = (line: string) => {
    lines.push(line);
    console.log(line);
  };
  try {
    server = await startNatsServer();
    const logger = fileLogger(dataDir, 'control-plane');
    const components = defaultComponents().map((c) => (c.name !== 'autoscaler' ? c : { name: c.name, start: (ctx: { nc: NatsConnection; logger: typeof logger }) => startAutoscaler({ nc: ctx.nc, logger: ctx.logger, tickMs, ensure: false }) }));
    cp = await startControlPlane({ natsUrl: server.url, dataDir, apiPort: 0, logger, components });
    const gw = await startGatewayProcess(children, server.url, 'gw-bench');
    nc = await connectNats({ url: server.url, name: 'bench-autoscaler' });
    const kv = await routesKv(nc);
    const store = createResourceStore({ js: jetstream(nc), jsm: await jetstreamManager(nc), source: 'bench' });
    const replicas = async () => ((await store.get('ModelInfer', 'default', INFER))?.spec as ModelInfer['spec'] | undefined)?.replicas ?? 0;
    const ready = async () => entryEndpoints(await readRoute(kv, MODEL)).length;
    const decisions = async () => (await readStream<AutoscalerDecisionData>(nc!, 'decisions', decisionSubject('autoscaler', 'default', INFER))).map((e) => e.envelope.data);

    out(`machine: ${cpus().length} vCPU, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; node ${process.version}`);
    out(`policy: gateway in-flight target ${target}/replica, stable window ${s(stableMs)}, panic window ${opt['panic-window-percent']}% of it, tick ${tickMs} ms, scale-to-zero grace ${opt.grace}`);
    await store.apply(inflightPolicy({ name: 'bench', target, stableWindow: `${stableMs}ms`, panicWindowPercent: opt['panic-window-percent'] }));
    await store.apply(autoscaledSimModel({ name: MODEL, policy: 'bench', minReplicas: 0, maxReplicas: 4, itlMs: 20, scaleToZeroGracePeriod: opt.grace }));

    // 1. Zero -> first token, then a burst at zero.
    await waitFor('ModelInfer at 0 replicas', async () => (await store.get('ModelInfer', 'default', INFER)) !== null && (await replicas()) === 0, { timeoutMs: 30_000 });
    await waitFor('the model routed (no endpoint yet)', async () => (await readRoute(kv, MODEL)) !== null, { timeoutMs: 30_000 });
    const zero = await firstToken(gw.url, Date.now() + 60_000);
    out(`zero -> first token: ${zero.ok ? s(zero.ttftMs) : `no token within ${s(zero.ttftMs)}: ${zero.error ?? 'gave up'}`} (${zero.retries} retried 503s)`);
    const zeroAgainFrom = Date.now();
    await waitFor('back to 0 replicas', async () => (await replicas()) === 0, { timeoutMs: stableMs * 4 + 60_000 });
    out(`idle -> zero replicas again: ${s(Date.now() - zeroAgainFrom)} after the last request`);
    await waitFor('no endpoint routed', async () => (await ready()) === 0, { timeoutMs: 30_000 });
    const burstAt = Date.now();
    const burst = await Promise.all(
      Array.from({ length: Number(opt.burst) }, async () => {
        const res = await fetch(`${gw.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, prompt: 'hi', max_tokens: 8 }) });
        await res.arrayBuffer();
        return { status: res.status, ms: Date.now() - burstAt };
      }),
    );
    const okBurst = burst.filter((b) => b.status === 200);
    const codes = [...new Set(burst.map((b) => b.status))].sort().join(', ');
    out(`burst of ${burst.length} at zero (no client retry): ${okBurst.length} completed (statuses ${codes}), last completion after ${okBurst.length ? s(Math.max(...okBurst.map((b) => b.ms))) : '-'}`);

    // 2. Baseline, then a 3x step.
    const load = new ClosedLoopLoad(gw.url, MODEL);
    load.set(base);
    await waitFor('baseline at 1 replica, routed', async () => (await replicas()) === Math.ceil(base / target) && (await ready()) === Math.ceil(base / target), { timeoutMs: 60_000 });
    await sleep(stableMs);
    const before = await replicas();
    const stepAt = Date.now();
    load.set(base * 3);
    await waitFor('scale-up', async () => (await replicas()) > before, { timeoutMs: 60_000, everyMs: 25 });
    const reactMs = Date.now() - stepAt;
    const want = Math.ceil((base * 3) / target);
    await waitFor(`${want} replicas ready`, async () => (await ready()) >= want, { timeoutMs: 90_000 });
    const readyMs = Date.now() - stepAt;
    const upDecision = (await decisions()).find((d) => d.tickStartMs >= stepAt - tickMs && d.valid && d.desiredReplicas > d.currentReplicas);
    out(`3x step (${base} -> ${base * 3} in flight): scale-up decided after ${s(reactMs)} (${upDecision?.mode ?? '?'} mode: ${upDecision?.reason ?? '?'}); ${want} replicas ready after ${s(readyMs)}`);

    // 3. Steady load.
    const windows = Number(opt['steady-windows']);
    const steadyFrom = Date.now();
    await sleep(windows * stableMs);
    const steadyChanges = (await decisions()).filter((d) => d.tickStartMs >= steadyFrom && d.valid && d.desiredReplicas !== d.currentReplicas);
    out(`steady ${base * 3} in flight for ${windows} stable windows (${s(windows * stableMs)}): ${steadyChanges.length} scale events${steadyChanges.length ? ` (${steadyChanges.map((d) => `${d.currentReplicas}->${d.desiredReplicas}`).join(', ')})` : ''}`);

    // 4. Removal.
    const removedAt = Date.now();
    const top = await replicas();
    await load.stop();
    let firstDown = 0;
    await waitFor('scale-down to 0', async () => {
      const r = await replicas();
      if (r < top && firstDown === 0) firstDown = Date.now();
      return r === 0;
    }, { timeoutMs: stableMs * 4 + 60_000, everyMs: 50 });
    out(`load removed: first scale-down after ${s(firstDown - removedAt)}, zero replicas after ${s(Date.now() - removedAt)}; requests completed ${load.completed}, failed ${load.failed}${load.failed ? ` (${[...load.failures].map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}`);
  } finally {
    await nc?.close().catch(() => undefined);
    await children.killAll();
    await cp?.stop().catch(() => undefined);
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exitCode = 1;
});
