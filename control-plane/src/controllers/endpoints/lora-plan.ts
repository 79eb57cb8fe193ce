// LoRA plan of one endpoint: (desired adapters, adapters the engine lists, what we remember of
// earlier attempts) -> loads and unloads, each with its reason. Pure: time comes in.
//
// Unloads come first (they free the engine's slots), then loads, by name. A failed attempt is
// retried after an exponential backoff; an adapter seen loaded earlier and now missing is a
// "repair" (the engine restarted or evicted it).

/** An adapter an endpoint must serve: its name and what the engine loads it from. */
export interface DesiredAdapter {
  name: string;
  path: string;
}

/** Backoff between attempts of one load or unload: base * 2^(failures-1), capped. */
export interface LoraRetryPolicy {
  baseMs: number;
  maxMs: number;
}

/** Defaults: 0.5 s, 1 s, 2 s, ... up to 30 s. */
export const DEFAULT_LORA_RETRY: LoraRetryPolicy = { baseMs: 500, maxMs: 30_000 };

/** Failures of one operation (`load:<name>` or `unload:<name>`) in a row. */
export interface LoraFailure {
  count: number;
  retryAtMs: number;
  error: string;
}

/** What the controller remembers of one endpoint between probes. */
export interface LoraMemory {
  /** Adapters seen loaded on this instance (across restarts): a later absence is a repair. */
  seen: ReadonlySet<string>;
  /** Failures by operation key, reset when the operation succeeds or is no longer wanted. */
  failures: ReadonlyMap<string, LoraFailure>;
}

/** One call to make on the engine. */
export interface LoraAction {
  action: 'load' | 'unload';
  adapter: string;
  path?: string;
  kind: 'load' | 'repair' | 'unload';
  /** 1 for the first try. */
  attempt: number;
  reason: string;
}

/** The plan, or why there is none yet. */
export type LoraPlan =
  | { valid: true; actions: LoraAction[]; /** Operations waiting for their backoff, with the time they are due. */ backingOff: { key: string; retryAtMs: number }[] }
  | { valid: false; reason: 'adapters-unknown' };

/** An empty memory. */
export function emptyLoraMemory(): LoraMemory {
  return { seen: new Set(), failures: new Map() };
}

/** Key of one operation in LoraMemory.failures. */
export function opKey(action: 'load' | 'unload', adapter: string): string {
  return `${action}:${adapter}`;
}

function retryNote(f: LoraFailure | undefined): string {
  return f ? `; attempt ${f.count + 1}, the last failed: ${f.error}` : '';
}

/** Plans the calls that bring an endpoint's adapters to `desired`. */
export function planLora(desired: readonly DesiredAdapter[], observed: readonly string[] | undefined, memory: LoraMemory, nowMs: number): LoraPlan {
  if (observed === undefined) return { valid: false, reason: 'adapters-unknown' };
  const have = new Set(observed);
  const want = new Map(desired.map((d) => [d.name, d]));
  const actions: LoraAction[] = [];
  const backingOff: { key: string; retryAtMs: number }[] = [];
  const due = (key: string): LoraFailure | undefined | null => {
    const f = memory.failures.get(key);
    if (f && f.retryAtMs > nowMs) {
      backingOff.push({ key, retryAtMs: f.retryAtMs });
      return null;
    }
    return f;
  };
  for (const name of [...have].sort()) {
    if (want.has(name)) continue;
    const f = due(opKey('unload', name));
    if (f === null) continue;
    actions.push({ action: 'unload', adapter: name, kind: 'unload', attempt: (f?.count ?? 0) + 1, reason: `adapter ${name} is loaded but not desired: unloading it${retryNote(f)}` });
  }
  for (const d of [...want.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (have.has(d.name)) continue;
    const f = due(opKey('load', d.name));
    if (f === null) continue;
    const repair = memory.seen.has(d.name);
    const why = repair
      ? `adapter ${d.name} was loaded on this endpoint and is gone (engine restarted or evicted it): loading it again from ${d.path}`
      : `adapter ${d.name} is desired and not loaded: loading it from ${d.path}`;
    actions.push({ action: 'load', adapter: d.name, path: d.path, kind: repair ? 'repair' : 'load', attempt: (f?.count ?? 0) + 1, reason: why + retryNote(f) });
  }
  return { valid: true, actions, backingOff };
}

/**
 * Memory after the engine listed `observed`: every listed adapter is remembered as seen, and
 * failures of operations that no longer need doing (a load of a loaded adapter, an unload of
 * an absent one) are forgotten.
 */
export function noteObserved(memory: LoraMemory, observed: readonly string[]): LoraMemory {
  const have = new Set(observed);
  const seen = new Set([...memory.seen, ...observed]);
  const failures = new Map<string, LoraFailure>();
  for (const [key, f] of memory.failures) {
    const [action, name] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    if (action === 'load' ? !have.has(name) : have.has(name)) failures.set(key, f);
  }
  return { seen, failures };
}

/** Memory after an action's outcome: success clears its failures, failure backs it off. */
export function noteResult(memory: LoraMemory, a: LoraAction, ok: boolean, error: string, nowMs: number, policy: LoraRetryPolicy = DEFAULT_LORA_RETRY): LoraMemory {
  const key = opKey(a.action, a.adapter);
  const failures = new Map(memory.failures);
  const seen = new Set(memory.seen);
  if (ok) {
    failures.delete(key);
    if (a.action === 'load') seen.add(a.adapter);
    else seen.delete(a.adapter);
    return { seen, failures };
  }
  const count = (memory.failures.get(key)?.count ?? 0) + 1;
  failures.set(key, { count, retryAtMs: nowMs + backoffMs(count, policy), error });
  return { seen, failures };
}

/** Wait before attempt `failures + 1`. */
export function backoffMs(failures: number, policy: LoraRetryPolicy = DEFAULT_LORA_RETRY): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
}
