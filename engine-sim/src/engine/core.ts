// The engine core: an event-driven scheduler over model time. No I/O, no timers: the caller
// passes the current model time to `submit`, `cancel` and `advance`, and asks `nextDueMs`
// when to call `advance` again. Tests drive it with a hand-moved clock.
//
// Model: at most maxNumSeqs requests run; the waiting queue is admitted FCFS, and admission
// stops at the first request whose KV blocks (prompt minus prefix-cache hits) do not fit.
// A request admitted at time t gets its first token at t + prefillOverhead + uncached tokens
// * prefillMsPerToken (or, for PD decode, uncached blocks * kvTransferMsPerBlock), then one
// token every itl(B) = itlMs * (1 + k*(B-1)/(maxNumSeqs-1)). When a decoding request needs a
// block and none is free, the most recently admitted request is preempted (vLLM's recompute
// policy): its blocks are freed and it waits again at the head of the queue.

import { SimRequestError } from '../errors.js';
import { blockHash, blockHashes, chainSeed, createKvCache, type KvCache } from './kv-cache.js';
import { jittered, type Rng } from './rng.js';
import type {
  EngineParams, EngineRequest, EngineSnapshot, EngineStatsSink, FinishReason, RequestListener,
} from './types.js';

type Phase = 'waiting' | 'prefill' | 'decode' | 'done';

const byDueTime = (a: Seq, b: Seq): number => a.nextAtMs - b.nextAtMs;

const MAX_PASSES_PER_ADVANCE = 16;

interface Seq {
  req: EngineRequest;
  listener: RequestListener;
  phase: Phase;
  arrivalMs: number;
  scheduledMs: number | undefined;
  firstTokenMs: number | undefined;
  lastTokenMs: number;
  nextAtMs: number;
  /** Prompt followed by the generated tokens so far. */
  tokens: number[];
  generated: number;
  blocks: number[];
  /** Chained hashes of the full blocks of `tokens` computed so far. */
  hashes: number[];
  seed: number;
  /** Chained hashes of all full blocks of `tokens`, memoised by token count (admission retries). */
  hashMemo: { len: number; hashes: number[] } | undefined;
  cachedTokens: number;
  promptCounted: boolean;
}

/** The scheduler of one simulated engine. */
export interface EngineCore {
  /**
   * Queues a request at `nowMs`; throws SimRequestError if it can never fit in KV. `arrivalMs`
   * (default nowMs) is when it reached the server, e.g. before a PD decode waited for its prefill.
   */
  submit(req: EngineRequest, listener: RequestListener, nowMs: number, arrivalMs?: number): void;
  /** Ends a waiting or running request at once with reason 'abort' (client went away). */
  cancel(id: string, nowMs: number): boolean;
  /** Processes events due at or before `nowMs` (at most 16 per request per call; call again while due). */
  advance(nowMs: number): void;
  /** Model time of the earliest pending event, or undefined when idle. */
  nextDueMs(): number | undefined;
  snapshot(): EngineSnapshot;
  /** Drops cached prefixes of unreferenced blocks. */
  flushCache(): void;
  /** Frees the blocks a finished holdKv request kept; false if none are held under `id`. */
  releaseHeld(id: string, nowMs: number): boolean;
}

/** Creates an engine core; `rng` drives the jitter, `stats` receives counters as they happen. */
export function createEngineCore(params: EngineParams, rng: Rng, stats: EngineStatsSink): EngineCore {
  const kv: KvCache = createKvCache(params.kvBlocks, params.blockSize);
  const bs = params.blockSize;
  const waiting: Seq[] = [];
  const running: Seq[] = [];
  const byId = new Map<string, Seq>();
  const held = new Map<string, number[]>();

  const blocksFor = (tokens: number): number => Math.ceil(tokens / bs);
  const due: Seq[] = [];
  // Hash-chain seed of the last cache salt: nearly every request uses the same model name.
  let lastSalt: string | undefined;
  let lastSeed = 0;
  const seedOf = (salt: string): number => {
    if (salt !== lastSalt) {
      lastSalt = salt;
      lastSeed = chainSeed(salt);
    }
    return lastSeed;
  };

  const itl = (): number => {
    const b = Math.max(1, running.length);
    const factor = params.maxNumSeqs > 1 ? 1 + (params.itlBatchFactor * (b - 1)) / (params.maxNumSeqs - 1) : 1;
    return jittered(params.itlMs * factor, params.jitter, rng);
  };

  const registerFullBlocks = (s: Seq, upToTokens: number): void => {
    const full = Math.min(Math.floor(upToTokens / bs), s.blocks.length);
    while (s.hashes.length < full) {
      const i = s.hashes.length;
      const parent = i === 0 ? s.seed : s.hashes[i - 1];
      const h = blockHash(parent, s.tokens, i, bs);
      s.hashes.push(h);
      kv.register(s.blocks[i], h);
    }
  };

  // Tries to admit `s` at `atMs`; false when its blocks do not fit now.
  const tryStart = (s: Seq, atMs: number): boolean => {
    const len = s.tokens.length;
    if (s.hashMemo?.len !== len) s.hashMemo = { len, hashes: blockHashes(s.seed, s.tokens, bs) };
    const hashes = s.hashMemo.hashes;
    // At least one token is always computed, as in vLLM: a fully cached prompt recomputes its last block.
    const { hits, hitsInFreeQueue } = kv.match(hashes, Math.floor((len - 1) / bs));
    const fresh = blocksFor(len) - hits;
    if (fresh > kv.freeCount() - hitsInFreeQueue) return false;
    const blocks = kv.acquireCached(hashes, hits);
    if (!kv.allocateInto(fresh, blocks)) {
      kv.release(blocks);
      return false;
    }
    s.blocks = blocks;
    s.hashes = hashes.slice(0, hits);
    s.hashMemo = undefined;
    const hitTokens = hits * bs;
    if (!s.promptCounted) s.cachedTokens = hitTokens;
    stats.prefixCache(len, hitTokens);
    s.phase = 'prefill';
    s.scheduledMs ??= atMs;
    const uncached = len - hitTokens;
    let work: number;
    if (s.req.kvSource === 'remote' && !s.promptCounted) {
      work = blocksFor(uncached) * params.kvTransferMsPerBlock;
    } else {
      work = params.prefillOverheadMs + uncached * params.prefillMsPerToken;
    }
    work = jittered(work, params.jitter, rng);
    if (s.firstTokenMs === undefined) work += s.req.faults.firstTokenStallMs;
    s.nextAtMs = atMs + work;
    return true;
  };

  const admit = (atMs: number): void => {
    // The adapters in the batch are only needed once a waiting request asks for one (built then).
    let loras: Set<string> | undefined;
    for (let i = 0; i < waiting.length && running.length < params.maxNumSeqs;) {
      const s = waiting[i];
      const lora = s.req.lora;
      if (lora) {
        if (loras === undefined) {
          loras = new Set<string>();
          for (const r of running) if (r.req.lora) loras.add(r.req.lora);
        }
        if (!loras.has(lora) && loras.size >= params.maxLoras) {
          i++; // vLLM skips requests whose adapter cannot join the batch
          continue;
        }
      }
      if (!tryStart(s, Math.max(atMs, s.arrivalMs))) break; // FCFS: no overtaking on KV
      waiting.splice(i, 1);
      running.push(s);
      if (lora) loras!.add(lora);
    }
  };

  const finish = (s: Seq, reason: FinishReason, atMs: number): void => {
    if (s.phase === 'done') return;
    const wasWaiting = s.phase === 'waiting';
    const blockIds = s.blocks;
    s.phase = 'done';
    byId.delete(s.req.id);
    if (wasWaiting) {
      const i = waiting.indexOf(s);
      if (i >= 0) waiting.splice(i, 1);
    } else {
      const i = running.indexOf(s);
      if (i >= 0) running.splice(i, 1);
      if (s.req.holdKv && reason !== 'abort') held.set(s.req.id, s.blocks);
      else kv.release(s.blocks);
      s.blocks = [];
    }
    const info = {
      reason,
      promptTokens: s.req.promptTokens.length,
      completionTokens: s.generated,
      cachedTokens: s.cachedTokens,
      arrivalMs: s.arrivalMs,
      scheduledMs: s.scheduledMs,
      firstTokenMs: s.firstTokenMs,
      finishMs: atMs,
      maxTokens: s.req.maxTokens,
      blockIds,
    };
    stats.finished(info);
    s.listener.onFinish(info);
  };

  const preempt = (victim: Seq): void => {
    const i = running.indexOf(victim);
    if (i >= 0) running.splice(i, 1);
    kv.release(victim.blocks);
    victim.blocks = [];
    victim.hashes = [];
    victim.phase = 'waiting';
    waiting.unshift(victim);
    stats.preemption();
  };

  // Makes room for `s`'s next token; false if `s` itself had to be preempted.
  const growFor = (s: Seq): boolean => {
    while (blocksFor(s.tokens.length) > s.blocks.length) {
      if (kv.allocateInto(1, s.blocks)) continue;
      const victim = running[running.length - 1];
      preempt(victim);
      if (victim === s) return false;
    }
    return true;
  };

  const emitToken = (s: Seq, atMs: number): void => {
    const index = s.generated;
    const id = s.req.tokenAt(index);
    s.tokens.push(id);
    s.generated++;
    stats.generationTokens(1);
    if (s.firstTokenMs === undefined) {
      s.firstTokenMs = atMs;
      stats.firstToken(atMs - s.arrivalMs);
    } else {
      stats.interToken(atMs - s.lastTokenMs);
    }
    s.lastTokenMs = atMs;
    s.listener.onToken(id, index, atMs);
  };

  const step = (s: Seq): void => {
    const at = s.nextAtMs;
    if (s.phase === 'prefill') {
      if (!s.promptCounted) {
        s.promptCounted = true;
        stats.promptTokens(s.req.promptTokens.length);
      }
      registerFullBlocks(s, s.tokens.length);
      s.phase = 'decode';
    }
    emitToken(s, at);
    if ((s.phase as Phase) !== 'decode') return; // the listener cancelled the request
    if (s.generated >= s.req.maxTokens) return finish(s, 'length', at);
    if (s.generated >= s.req.stopAfterTokens) return finish(s, 'stop', at);
    if (!growFor(s)) return;
    registerFullBlocks(s, s.tokens.length - 1);
    let delay = itl();
    if (s.generated === s.req.faults.stallAfterTokens) delay += s.req.faults.stallMs;
    s.nextAtMs = at + delay;
  };

  return {
    submit(req, listener, nowMs, arrivalMs = nowMs) {
      const need = blocksFor(req.promptTokens.length + 1);
      if (need > params.kvBlocks) {
        throw new SimRequestError(`request needs ${need} KV blocks but the engine has ${params.kvBlocks}`);
      }
      if (byId.has(req.id) || held.has(req.id)) throw new SimRequestError(`request id ${req.id} is already in flight`);
      const s: Seq = {
        req, listener, phase: 'waiting', arrivalMs: Math.min(arrivalMs, nowMs), scheduledMs: undefined, firstTokenMs: undefined,
        lastTokenMs: nowMs, nextAtMs: nowMs, tokens: req.promptTokens.slice(), generated: 0, blocks: [],
        hashes: [], seed: seedOf(req.cacheSalt), hashMemo: undefined, cachedTokens: 0, promptCounted: false,
      };
      byId.set(req.id, s);
      waiting.push(s);
      admit(nowMs);
    },
    cancel(id, nowMs) {
      const s = byId.get(id);
      if (!s) return false;
      finish(s, 'abort', nowMs);
      admit(nowMs);
      return true;
    },
    advance(nowMs) {
      // Several passes, each giving every due request one event in time order: catching up
      // (zero latencies, late timers) emits a few tokens per request per call, so a socket gets
      // them in one write, yet the caller regains control often enough to serve I/O.
      for (let pass = 0; pass < MAX_PASSES_PER_ADVANCE; pass++) {
        // In running order, then stably by due time (one reused array: this runs once per pass).
        due.length = 0;
        for (const s of running) if (s.nextAtMs <= nowMs) due.push(s);
        if (due.length === 0) break;
        due.sort(byDueTime);
        for (const s of due) {
          // Finished or preempted earlier in this pass.
          if (s.phase !== 'prefill' && s.phase !== 'decode') continue;
          const at = s.nextAtMs;
          step(s);
          if (running.length < params.maxNumSeqs && waiting.length > 0) admit(at);
        }
      }
      due.length = 0; // hold no finished requests until the next call
      admit(nowMs);
    },
    nextDueMs() {
      let min: number | undefined;
      for (const s of running) if (min === undefined || s.nextAtMs < min) min = s.nextAtMs;
      return min;
    },
    snapshot() {
      const runningLoras = new Set<string>();
      const waitingLoras = new Set<string>();
      for (const s of running) if (s.req.lora) runningLoras.add(s.req.lora);
      for (const s of waiting) if (s.req.lora) waitingLoras.add(s.req.lora);
      return {
        running: running.length,
        waiting: waiting.length,
        usedBlocks: kv.usedCount(),
        totalBlocks: kv.totalBlocks,
        blockSize: bs,
        runningLoras: [...runningLoras],
        waitingLoras: [...waitingLoras],
      };
    },
    flushCache() {
      kv.flush();
    },
    releaseHeld(id, nowMs) {
      const blocks = held.get(id);
      if (!blocks) return false;
      held.delete(id);
      kv.release(blocks);
      admit(nowMs);
      return true;
    },
  };
}
