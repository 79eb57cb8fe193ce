// Thin HTTP edge of the model lifecycle: Triton's model repository extension (POST
// /v2/repository/index {"ready": true}, .../models/<m>/load and /unload) and TorchServe's
// management API (GET /models with pagination and GET /models/<m> for the worker counts; POST
// /models?url=&model_name=&initial_workers=&synchronous=true, PUT
// /models/<m>?min_worker=&max_worker=&synchronous=true, DELETE /models/<m>). TorchServe's
// management API is looked for on the endpoint's own address first (the simulator's single-port
// mode), then on TorchServe's management port of the same host (8081, as the pod template
// configures it); the address that answered is remembered. "Already registered" (409) and
// "not found" on an unregister count as done: the calls are idempotent from our side.
import { TORCHSERVE_MANAGEMENT_PORT } from '../model/engine/torchserve.js';
import type { EngineCallResult } from './engine-api.js';
import type { LifecycleAction, LifecycleEngine, ObservedEngineModel } from './lifecycle-plan.js';

/** The lifecycle calls the endpoint controller makes (a hand-written fake in unit tests). */
export interface LifecycleApi {
  /** Triton: the READY models; TorchServe: the registered ones, with worker counts for `describe` names. Undefined when the engine did not answer. */
  models(engine: LifecycleEngine, address: string, describe: ReadonlySet<string>, timeoutMs: number): Promise<ObservedEngineModel[] | undefined>;
  call(engine: LifecycleEngine, address: string, action: LifecycleAction, timeoutMs: number): Promise<EngineCallResult>;
  /** Where the calls for `address` go (TorchServe: its management API once found). */
  target(engine: LifecycleEngine, address: string): string;
}

/** Where TorchServe's management API may listen for an endpoint at `address`, in the order tried. */
export function managementCandidates(address: string): string[] {
  const u = new URL(address);
  u.port = String(TORCHSERVE_MANAGEMENT_PORT);
  const other = u.toString().replace(/\/+$/, '');
  return other === address ? [address] : [address, other];
}

async function request(method: string, url: string, timeoutMs: number, body?: unknown): Promise<{ status: number; text: string }> {
  const init: RequestInit = { method, signal: AbortSignal.timeout(timeoutMs) };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text() };
}

function messageOf(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown };
    const m = typeof j.error === 'string' ? j.error : j.message;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 300);
}

function failure(err: unknown): EngineCallResult {
  const e = err as Error;
  return { ok: false, error: e.name === 'TimeoutError' ? 'timed out' : (e.message ?? String(err)) };
}

function judge(r: { status: number; text: string }, done: (status: number) => boolean): EngineCallResult {
  if (r.status === 200 || r.status === 202 || done(r.status)) return { ok: true, status: r.status };
  return { ok: false, status: r.status, error: `HTTP ${r.status}: ${messageOf(r.text)}` };
}

function q(params: Record<string, string | number | boolean | undefined>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) s.set(k, String(v));
  return s.toString();
}

/** The lifecycle API over fetch. */
export function createHttpLifecycleApi(): LifecycleApi {
  const management = new Map<string, string>();
  const remember = (address: string, base: string): void => {
    if (management.size >= 4096) management.clear(); // addresses of gone processes
    management.set(address, base);
  };

  async function torchserveList(address: string, timeoutMs: number): Promise<{ base: string; names: string[] } | undefined> {
    const known = management.get(address);
    for (const base of known === undefined ? managementCandidates(address) : [known]) {
      const names: string[] = [];
      let token: string | undefined;
      let found = true;
      try {
        do {
          const r = await request('GET', `${base}/models?${q({ limit: 100, next_page_token: token })}`, timeoutMs);
          if (r.status === 404 && known === undefined && token === undefined) {
            found = false;
            break;
          }
          if (r.status !== 200) return undefined;
          const body = JSON.parse(r.text) as { models?: { modelName?: unknown }[]; nextPageToken?: unknown };
          if (!Array.isArray(body.models)) return undefined;
          for (const m of body.models) if (typeof m?.modelName === 'string') names.push(m.modelName);
          token = typeof body.nextPageToken === 'string' && body.nextPageToken !== '' ? body.nextPageToken : undefined;
        } while (token !== undefined);
      } catch {
        if (known === undefined) continue; // nothing listens there: try the next candidate
        return undefined;
      }
      if (!found) continue;
      remember(address, base);
      return { base, names };
    }
    return undefined;
  }

  return {
    target(engine, address) {
      return engine === 'TorchServe' ? management.get(address) ?? address : address;
    },
    async models(engine, address, describe, timeoutMs) {
      try {
        if (engine === 'Triton') {
          const r = await request('POST', `${address}/v2/repository/index`, timeoutMs, { ready: true });
          if (r.status !== 200) return undefined;
          const index = JSON.parse(r.text) as unknown;
          if (!Array.isArray(index)) return undefined;
          return index.filter((e): e is { name: string; state?: unknown } => typeof e?.name === 'string' && e.state === 'READY').map((e) => ({ name: e.name })).sort((a, b) => (a.name < b.name ? -1 : 1));
        }
        const listed = await torchserveList(address, timeoutMs);
        if (!listed) return undefined;
        const out: ObservedEngineModel[] = [];
        for (const name of [...new Set(listed.names)].sort()) {
          if (!describe.has(name)) {
            out.push({ name });
            continue;
          }
          const r = await request('GET', `${listed.base}/models/${encodeURIComponent(name)}`, timeoutMs);
          if (r.status === 404) continue; // unregistered in between
          if (r.status !== 200) return undefined;
          const d = (JSON.parse(r.text) as { minWorkers?: unknown; maxWorkers?: unknown }[])[0];
          const o: ObservedEngineModel = { name };
          if (typeof d?.minWorkers === 'number') o.minWorkers = d.minWorkers;
          if (typeof d?.maxWorkers === 'number') o.maxWorkers = d.maxWorkers;
          out.push(o);
        }
        return out;
      } catch {
        return undefined;
      }
    },
    async call(engine, address, a, timeoutMs) {
      const name = encodeURIComponent(a.model);
      try {
        if (engine === 'Triton') {
          if (a.action === 'scale') return { ok: false, error: 'Triton has no worker API' };
          return judge(await request('POST', `${address}/v2/repository/models/${name}/${a.action}`, timeoutMs, {}), () => false);
        }
        const base = management.get(address) ?? (await torchserveList(address, timeoutMs))?.base;
        if (base === undefined) return { ok: false, error: 'TorchServe management API not found (tried the endpoint and port 8081)' };
        if (a.action === 'load') {
          const query = q({ url: a.url ?? `${a.model}.mar`, model_name: a.model, initial_workers: a.minWorkers, synchronous: true });
          return judge(await request('POST', `${base}/models?${query}`, timeoutMs), (s) => s === 409);
        }
        if (a.action === 'unload') return judge(await request('DELETE', `${base}/models/${name}`, timeoutMs), (s) => s === 404);
        return judge(await request('PUT', `${base}/models/${name}?${q({ min_worker: a.minWorkers, max_worker: a.maxWorkers, synchronous: true })}`, timeoutMs), () => false);
      } catch (err) {
        return failure(err);
      }
    },
  };
}
