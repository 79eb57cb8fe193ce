// The plan/diff core shared by everything the endpoint controller keeps in sync on an engine
// (LoRA adapters, Triton repository models, TorchServe registrations): (desired items, names the
// engine lists, memory of earlier attempts) -> loads and unloads with reasons. Pure: time comes in.
//
// Unloads come first (they free the engine's slots), then loads, by name. A failed attempt is
// retried after an exponential backoff; an item seen loaded earlier and now missing is a
// "repair" (the engine restarted, evicted it, or someone removed it out of band).

/** Backoff between attempts of one operation: base * 2^(failures-1), capped. */
export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

/** Defaults: 0.5 s, 1 s, 2 s, ... up to 30 s. */
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 500, maxMs: 30_000 };

/** Failures of one operation (`<action>:<name>`) in a row. */
export interface OpFailure {
  count: number;
  retryAtMs: number;
  error: string;
}

/** What the controller remembers of one endpoint between probes. */
export interface SetMemory {
  /** Items seen loaded on this instance (across restarts): a later absence is a repair. */
  seen: ReadonlySet<string>;
  /** Failures by operation key, reset when the operation succeeds or is no longer wanted. */
  failures: ReadonlyMap<string, OpFailure>;
}

/** One load or unload to make. */
export interface SetAction<D> {
  action: 'load' | 'unload';
  name: string;
  /** The desired item, on a load. */
  item?: D;
  kind: 'load' | 'repair' | 'unload';
  /** 1 for the first try. */
  attempt: number;
  reason: string;
}

/** How the reasons of one kind of item read (without the retry note). */
export interface SetWords<D> {
  unload(name: string): string;
  load(item: D): string;
  repair(item: D): string;
}

/** The plan's actions and the operations waiting for their backoff (with the time they are due). */
export interface SetPlan<D> {
  actions: SetAction<D>[];
  backingOff: { key: string; retryAtMs: number }[];
}

/** An empty memory. */
export function emptyMemory(): SetMemory {
  return { seen: new Set(), failures: new Map() };
}

/** Key of one operation in SetMemory.failures. */
export function opKey(action: string, name: string): string {
  return `${action}:${name}`;
}

function byName<D extends { name: string }>(a: D, b: D): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Appended to a reason on a retry: the attempt number and the last error. */
export function retryNote(f: OpFailure | undefined): string {
  return f ? `; attempt ${f.count + 1}, the last failed: ${f.error}` : '';
}

/** Looks up an operation's failures: null while it backs off (noted in `backingOff`), else the failures so far. */
export function dueFailure(memory: SetMemory, key: string, nowMs: number, backingOff: { key: string; retryAtMs: number }[]): OpFailure | undefined | null {
  const f = memory.failures.get(key);
  if (f && f.retryAtMs > nowMs) {
    backingOff.push({ key, retryAtMs: f.retryAtMs });
    return null;
  }
  return f;
}

/**
 * Plans the loads and unloads that bring `observed` to `desired`. A listed name not desired is
 * unloaded only when `removable(name)` (default: always; a controller that must leave what it
 * did not load alone passes its own test).
 */
export function planSet<D extends { name: string }>(desired: readonly D[], observed: readonly string[], memory: SetMemory, nowMs: number, words: SetWords<D>, removable: (name: string) => boolean = () => true): SetPlan<D> {
  const have = new Set(observed);
  const want = new Map(desired.map((d) => [d.name, d]));
  const actions: SetAction<D>[] = [];
  const backingOff: { key: string; retryAtMs: number }[] = [];
  for (const name of [...have].sort()) {
    if (want.has(name) || !removable(name)) continue;
    const f = dueFailure(memory, opKey('unload', name), nowMs, backingOff);
    if (f === null) continue;
    actions.push({ action: 'unload', name, kind: 'unload', attempt: (f?.count ?? 0) + 1, reason: words.unload(name) + retryNote(f) });
  }
  for (const d of [...want.values()].sort(byName)) {
    if (have.has(d.name)) continue;
    const f = dueFailure(memory, opKey('load', d.name), nowMs, backingOff);
    if (f === null) continue;
    const repair = memory.seen.has(d.name);
    actions.push({ action: 'load', name: d.name, item: d, kind: repair ? 'repair' : 'load', attempt: (f?.count ?? 0) + 1, reason: (repair ? words.repair(d) : words.load(d)) + retryNote(f) });
  }
  return { actions, backingOff };
}

/**
 * Memory after the engine listed `observed`: every listed item is remembered as seen, and
 * failures of loads and unloads that no longer need doing (a load of a loaded item, an unload of
 * an absent one) are forgotten; failures of other operations are kept while `keep(key)` says so.
 */
export function noteObserved(memory: SetMemory, observed: readonly string[], keep: (action: string, name: string) => boolean = () => true): SetMemory {
  const have = new Set(observed);
  const seen = new Set([...memory.seen, ...observed]);
  const failures = new Map<string, OpFailure>();
  for (const [key, f] of memory.failures) {
    const cut = key.indexOf(':');
    const [action, name] = [key.slice(0, cut), key.slice(cut + 1)];
    const needed = action === 'load' ? !have.has(name) : action === 'unload' ? have.has(name) : keep(action, name);
    if (needed) failures.set(key, f);
  }
  return { seen, failures };
}

/** Memory after an operation's outcome: success clears its failures (a load marks the item seen, an unload forgets it), failure backs it off. */
export function noteResult(memory: SetMemory, a: { action: string; name: string }, ok: boolean, error: string, nowMs: number, policy: RetryPolicy = DEFAULT_RETRY): SetMemory {
  const key = opKey(a.action, a.name);
  const failures = new Map(memory.failures);
  const seen = new Set(memory.seen);
  if (ok) {
    failures.delete(key);
    if (a.action === 'load') seen.add(a.name);
    else if (a.action === 'unload') seen.delete(a.name);
    return { seen, failures };
  }
  const count = (memory.failures.get(key)?.count ?? 0) + 1;
  failures.set(key, { count, retryAtMs: nowMs + backoffMs(count, policy), error });
  return { seen, failures };
}

/** Wait before attempt `failures + 1`. */
export function backoffMs(failures: number, policy: RetryPolicy = DEFAULT_RETRY): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
}
