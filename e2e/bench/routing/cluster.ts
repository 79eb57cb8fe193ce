// The benchmark's system under test: nats-server, N simulator processes, the metrics collector
// (in this process, as the control plane runs it), one routing entry in mi-routes listing the
// simulators, and gateway child processes. Gateways are started once per gateway count and
// switched between scheduler profiles live through the mi-config `scheduler` key, as an
// operator would (a gateway start costs seconds of CPU). Everything runs on 127.0.0.1 and every
// child is killed by `close()` (also called on errors and Ctrl-C).
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import winston from 'winston';
import {
  BUCKETS, DEFAULT_NAMESPACE, INSTANCE_OBSERVATION, encodeEvent, encodeRouteEntry, ensureBuckets, ensureStreams,
  makeEvent, observedSubject, openKv, type InstanceObservation, type RouteEntry,
} from '@matrixinfer/events';
import { startNatsServer, type TestNatsServer } from '@matrixinfer/events/testing';
import { startCollector, type Collector } from '@matrixinfer/control-plane';
import { ChildSet, type RunningChild } from '../../src/support/children.js';
import { parseEngineCounters, type EngineCounters } from './metrics.js';

const SIM_BIN = fileURLToPath(new URL('../../../engine-sim/bin/mi-engine-sim.js', import.meta.url));
const GATEWAY_BIN = fileURLToPath(new URL('../../../data-plane/bin/mi-gateway.js', import.meta.url));

/** How the simulators and collector are set up. */
export interface ClusterOptions {
  replicas: number;
  timeScale: number;
  kvBlocks: number;
  /** Collector scrape interval, wall ms. */
  sampleMs: number;
  /** Model name clients use (the route key). */
  model: string;
}

export interface Engine {
  id: string;
  url: string;
}

/** A running cluster; gateways come and go per profile. */
export interface Cluster {
  engines: Engine[];
  natsUrl: string;
  /** Starts `n` gateways with `profile` (a name or config text), waits until each routes; returns their URLs. */
  startGateways(n: number, profile: string): Promise<string[]>;
  /** Puts `profile` (a profile name or config text) in mi-config and waits until every running gateway reports it applied. */
  setProfile(profile: string): Promise<void>;
  stopGateways(): Promise<void>;
  /** Current counters of every engine, in `engines` order. */
  counters(): Promise<EngineCounters[]>;
  /** Resolves once no engine runs or queues a request (deadline `timeoutMs`). */
  waitIdle(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

async function waitForLine(child: RunningChild, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = child.output().match(pattern);
    if (m) return m;
    if (!child.running()) throw new Error(`${child.name} exited during start: ${child.output().slice(-500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${child.name} did not start within ${timeoutMs} ms: ${child.output().slice(-500)}`);
}

function routeEntry(model: string, servedModel: string, engines: Engine[]): RouteEntry {
  return {
    format: 'mi.route/v1', name: model, kind: 'model', namespace: DEFAULT_NAMESPACE, route: 'bench', rules: [{ name: 'all', targets: [{ modelServer: 'sims', weight: 100 }] }],
    servers: {
      sims: {
        name: 'sims', namespace: DEFAULT_NAMESPACE, engine: 'vLLM', model: servedModel,
        // Saturation runs queue for long: no gateway timeout or retry may cut them short.
        trafficPolicy: { timeoutMs: 600_000, retry: { attempts: 0, retryIntervalMs: 0 } },
        endpoints: engines.map((e) => ({ id: e.id, address: e.url, role: 'both' as const })),
      },
    },
  };
}

/** Starts the cluster; on any failure everything started so far is stopped again. */
export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const children = new ChildSet();
  let nats: TestNatsServer | undefined;
  let nc: NatsConnection | undefined;
  let collector: Collector | undefined;
  let gateways: { child: RunningChild; name: string }[] = [];
  const close = async (): Promise<void> => {
    await collector?.stop().catch(() => undefined);
    await nc?.close().catch(() => undefined);
    await children.killAll();
    await nats?.close().catch(() => undefined);
  };
  try {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url, name: 'routing-bench' });
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    await ensureBuckets(jetstream(nc), jsm, { storage: 'memory' });
    const sims = Array.from({ length: o.replicas }, (_, i) =>
      children.spawn(`sim-${i}`, process.execPath, [SIM_BIN, '--port', '0', '--bootstrap-port', '0', '--time-scale', String(o.timeScale), '--kv-blocks', String(o.kvBlocks), '--seed', String(100 + i)], { env: { LOG_LEVEL: 'warn' } }));
    const engines: Engine[] = [];
    for (const [i, sim] of sims.entries()) {
      const m = await waitForLine(sim, /listening on (http:\/\/\S+)/, 60_000);
      engines.push({ id: `sim-${i}`, url: m[1] });
    }
    // Observations make the collector scrape the engines, as the actuator's would.
    const js = jetstream(nc);
    for (const e of engines) {
      const obs: InstanceObservation = {
        instance: e.id, namespace: DEFAULT_NAMESPACE, modelInfer: 'sims', phase: 'ready', revision: 'bench', labels: { app: 'sims' }, address: e.url, timeMs: Date.now(),
      };
      const subject = observedSubject('instance', DEFAULT_NAMESPACE, 'sims', e.id);
      await js.publish(subject, encodeEvent(makeEvent(INSTANCE_OBSERVATION, 'routing-bench', subject, obs)));
    }
    const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });
    collector = await startCollector({ nc, logger, intervalMs: o.sampleMs });
    const served = (await (await fetch(`${engines[0].url}/v1/models`)).json() as { data: { id: string }[] }).data[0].id;
    const kv = await openKv(js, BUCKETS.routes);
    await kv.put(o.model, encodeRouteEntry(routeEntry(o.model, served, engines)));
    const config = await openKv(js, BUCKETS.config);
    const natsUrl = nats.url;

    const setProfile = async (profile: string): Promise<void> => {
      const revision = await config.put('scheduler', profile);
      const deadline = Date.now() + 30_000;
      for (const g of gateways) {
        for (;;) {
          const text = (await config.get(`scheduler.status.${g.name}`))?.string();
          const st = text ? JSON.parse(text) as { revision: number; result: string; error?: string } : undefined;
          if (st && st.revision >= revision) {
            if (st.result !== 'applied') throw new Error(`gateway ${g.name} rejected scheduler ${profile}: ${st.error ?? st.result}`);
            break;
          }
          if (Date.now() > deadline) throw new Error(`gateway ${g.name} did not apply scheduler ${profile} (revision ${revision}) within 30 s`);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };

    const counters = async (): Promise<EngineCounters[]> =>
      Promise.all(engines.map(async (e) => parseEngineCounters(await (await fetch(`${e.url}/metrics`)).text())));

    return {
      engines,
      natsUrl,
      async startGateways(n, profile) {
        // Gateways start with the default profile and take `profile` from mi-config, as in production.
        await config.put('scheduler', profile);
        const started = Array.from({ length: n }, (_, i) =>
          children.spawn(`gw-${i}`, process.execPath, [GATEWAY_BIN, '--port', '0', '--workers', '1', '--nats-url', natsUrl, '--name', `bench-gw-${i}`, '--log-level', 'off']));
        const urls: string[] = [];
        gateways = [];
        for (const g of started) {
          const line = JSON.parse((await waitForLine(g, /^(\{"gateway".*\})$/m, 60_000))[1]) as { gateway: string; url: string };
          gateways.push({ child: g, name: line.gateway });
          urls.push(line.url);
        }
        // Ready = the route is loaded and engine samples arrived: one request through each.
        for (const url of urls) {
          const deadline = Date.now() + 30_000;
          for (;;) {
            const r = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: o.model, prompt: 'warm up', max_tokens: 1 }) });
            await r.arrayBuffer();
            const ep = ((await (await fetch(`${url}/debug/endpoints`)).json()) as { endpoints: Record<string, { sampleAgeMs?: number }> }).endpoints;
            if (r.status === 200 && Object.values(ep).filter((v) => v.sampleAgeMs !== undefined).length === engines.length) break;
            if (Date.now() > deadline) throw new Error(`gateway ${url} not routing with samples after 30 s (status ${r.status})`);
            await new Promise((res) => setTimeout(res, 100));
          }
        }
        await setProfile(profile);
        return urls;
      },
      setProfile,
      async stopGateways() {
        await Promise.all(gateways.map((g) => children.stop(g.child, 3000)));
        gateways = [];
      },
      counters,
      async waitIdle(timeoutMs) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const c = await counters();
          if (c.every((x) => x.running === 0 && x.waiting === 0)) return;
          if (Date.now() > deadline) throw new Error(`engines still busy after ${timeoutMs} ms: ${JSON.stringify(c.map((x) => [x.running, x.waiting]))}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
