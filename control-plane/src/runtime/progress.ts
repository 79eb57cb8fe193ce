// "waiting for model llama: 1/2 replicas ready": readiness of a Model seen from the routing
// table (what a gateway would route to), polled until every wanted replica is routed to and
// answers its health check.
import type { KV } from '@nats-io/kv';
import { decodeRouteEntry, engineReadyPath, type RouteEntry } from '@matrixinfer/events';
import type { Model } from '../controllers/types.js';
import { servedModelName } from '../controllers/model/expand.js';

/** Replicas a Model wants at start: the sum of its backends' minReplicas (default 1). */
export function wantedReplicas(model: Model): number {
  return model.spec.backends.reduce((n, b) => n + (b.minReplicas ?? 1), 0);
}

/** Addresses of the ready endpoints of a routing entry (over all its servers). */
export function endpointAddresses(entry: RouteEntry | null): string[] {
  if (!entry) return [];
  return Object.values(entry.servers).flatMap((s) => s.endpoints.map((e) => e.address));
}

/** Readiness URLs of the ready endpoints of a routing entry (each engine family's own path). */
export function endpointReadyUrls(entry: RouteEntry | null): string[] {
  if (!entry) return [];
  return Object.values(entry.servers).flatMap((s) => s.endpoints.map((e) => `${e.address}${engineReadyPath(s.engine)}`));
}

/** True when `url` (an endpoint's readiness URL; a bare address means `/health`) answers 200 within `timeoutMs`. */
export async function answersHealth(url: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const res = await fetch(/^https?:\/\/[^/]+$/.test(url) ? `${url}/health` : url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

export interface WaitModelOptions {
  routes: KV;
  model: Model;
  /** Called with each new progress line (only when it changes). */
  onProgress: (line: string) => void;
  deadlineMs: number;
  intervalMs?: number;
  /** Stops waiting early (Ctrl-C). */
  signal?: AbortSignal;
}

/** Polls `mi-routes` until the model's entry lists every wanted replica; false on deadline or abort. */
export async function waitForModel(opts: WaitModelOptions): Promise<boolean> {
  const name = servedModelName(opts.model);
  const want = wantedReplicas(opts.model);
  let last = '';
  while (!opts.signal?.aborted) {
    const e = await opts.routes.get(name);
    const entry = e && e.operation === 'PUT' ? decodeRouteEntry(e.value) : null;
    // An entry left from an earlier run may still list replicas that are gone: count only
    // the endpoints that answer.
    const ready = (await Promise.all(endpointReadyUrls(entry).map((u) => answersHealth(u)))).filter(Boolean).length;
    const line = `waiting for model ${name}: ${Math.min(ready, want)}/${want} replicas ready`;
    if (line !== last) opts.onProgress((last = line));
    if (ready >= want) return true;
    if (Date.now() >= opts.deadlineMs) return false;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
  return false;
}
