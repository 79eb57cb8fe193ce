// LoRA plan of one endpoint: (desired adapters, adapters the engine lists, what we remember of
// earlier attempts) -> loads and unloads, each with its reason. The diff, backoff and memory are
// set-plan.ts (shared with the Triton/TorchServe model lifecycle); this file gives them the
// adapter's words and shape. Pure: time comes in.
import { backoffMs, DEFAULT_RETRY, emptyMemory, noteObserved as noteSetObserved, noteResult as noteSetResult, opKey, planSet, type OpFailure, type RetryPolicy, type SetMemory, type SetWords } from './set-plan.js';

export { backoffMs, opKey };

/** An adapter an endpoint must serve: its name and what the engine loads it from. */
export interface DesiredAdapter {
  name: string;
  path: string;
}

/** Backoff between attempts of one load or unload: base * 2^(failures-1), capped. */
export type LoraRetryPolicy = RetryPolicy;

/** Defaults: 0.5 s, 1 s, 2 s, ... up to 30 s. */
export const DEFAULT_LORA_RETRY: LoraRetryPolicy = DEFAULT_RETRY;

/** Failures of one operation (`load:<name>` or `unload:<name>`) in a row. */
export type LoraFailure = OpFailure;

/** What the controller remembers of one endpoint between probes. */
export type LoraMemory = SetMemory;

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
  return emptyMemory();
}

const WORDS: SetWords<DesiredAdapter> = {
  unload: (name) => `adapter ${name} is loaded but not desired: unloading it`,
  load: (d) => `adapter ${d.name} is desired and not loaded: loading it from ${d.path}`,
  repair: (d) => `adapter ${d.name} was loaded on this endpoint and is gone (engine restarted or evicted it): loading it again from ${d.path}`,
};

/** Plans the calls that bring an endpoint's adapters to `desired`. */
export function planLora(desired: readonly DesiredAdapter[], observed: readonly string[] | undefined, memory: LoraMemory, nowMs: number): LoraPlan {
  if (observed === undefined) return { valid: false, reason: 'adapters-unknown' };
  const plan = planSet(desired, observed, memory, nowMs, WORDS);
  const actions = plan.actions.map((a): LoraAction => {
    const out: LoraAction = { action: a.action, adapter: a.name, kind: a.kind, attempt: a.attempt, reason: a.reason };
    if (a.item) out.path = a.item.path;
    return out;
  });
  return { valid: true, actions, backingOff: plan.backingOff };
}

/**
 * Memory after the engine listed `observed`: every listed adapter is remembered as seen, and
 * failures of operations that no longer need doing (a load of a loaded adapter, an unload of
 * an absent one) are forgotten.
 */
export function noteObserved(memory: LoraMemory, observed: readonly string[]): LoraMemory {
  return noteSetObserved(memory, observed);
}

/** Memory after an action's outcome: success clears its failures, failure backs it off. */
export function noteResult(memory: LoraMemory, a: LoraAction, ok: boolean, error: string, nowMs: number, policy: LoraRetryPolicy = DEFAULT_LORA_RETRY): LoraMemory {
  return noteSetResult(memory, { action: a.action, name: a.adapter }, ok, error, nowMs, policy);
}
