// "waiting for model llama: 1/2 replicas ready": readiness of a Model seen from the routing
// table (what a gateway would route to), polled until every wanted replica is routable.
import type { KV } from '@nats-io/kv';
import { decodeRouteEntry, type RouteEntry } from '@matrixinfer/events';
import type { Model } from '../controllers/types.js';
import { servedModelName } from '../controllers/model/expand.js';

/** Replicas a Model wants at start: the sum of its backends' minReplicas (default 1). */
export function wantedReplicas(model: Model): number {
  return model.spec.backends.reduce((n, b) => n + (b.minReplicas ?? 1), 0);
}

/** Ready endpoints of a routing entry (over all its servers). */
export function readyEndpoints(entry: RouteEntry | null): number {
  if (!entry) return 0;
  return Object.values(entry.servers).reduce((n, s) => n + s.endpoints.length, 0);
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
    const ready = readyEndpoints(entry);
    const line = `waiting for model ${name}: ${Math.min(ready, want)}/${want} replicas ready`;
    if (line !== last) opts.onProgress((last = line));
    if (ready >= want) return true;
    if (Date.now() >= opts.deadlineMs) return false;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
  return false;
}
