// Types shared by the engine core, its driver loop and the HTTP layer. No I/O here.

/** Timing and capacity parameters of the modelled engine (all durations in model milliseconds). */
export interface EngineParams {
  maxNumSeqs: number;
  kvBlocks: number;
  blockSize: number;
  prefillOverheadMs: number;
  prefillMsPerToken: number;
  itlMs: number;
  /** k in itl = itlMs * (1 + k * (B - 1) / (maxNumSeqs - 1)), B = running requests. */
  itlBatchFactor: number;
  kvTransferMsPerBlock: number;
  /** Relative jitter: each modelled duration is scaled by a uniform factor in [1-j, 1+j]. */
  jitter: number;
  /** Most distinct LoRA adapters in the running batch (vLLM --max-loras). */
  maxLoras: number;
}

/** Why a request ended, as vLLM's finished_reason label spells it. */
export type FinishReason = 'stop' | 'length' | 'abort';

/** Where a request's KV comes from: computed here, or pulled from a prefill engine (PD decode). */
export type KvSource = 'local' | 'remote';

/** Per-request fault injection (model milliseconds). */
export interface RequestFaults {
  firstTokenStallMs: number;
  stallAfterTokens: number;
  stallMs: number;
}

/** What the core needs to know about one request. */
export interface EngineRequest {
  id: string;
  promptTokens: readonly number[];
  /** Hard cap on generated tokens; reaching it ends the request with 'length'. */
  maxTokens: number;
  /** Sampled natural length; reaching it first ends the request with 'stop'. */
  stopAfterTokens: number;
  /** Model or adapter name: seeds the block-hash chain so different adapters never share KV. */
  cacheSalt: string;
  lora?: string;
  kvSource: KvSource;
  /** PD prefill: keep the KV blocks after the request ends until releaseHeld (the decode side pulled them). */
  holdKv?: boolean;
  faults: RequestFaults;
  /** Token id of generated token `index` (deterministic per request). */
  tokenAt(index: number): number;
}

/** Timings and counts of a finished request (model milliseconds). */
export interface FinishInfo {
  reason: FinishReason;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  arrivalMs: number;
  scheduledMs: number | undefined;
  firstTokenMs: number | undefined;
  finishMs: number;
  maxTokens: number;
  /** KV block ids the request held when it ended (PD prefill reports them as remote_block_ids). */
  blockIds: number[];
}

/** Receives one request's progress; called synchronously from the core. */
export interface RequestListener {
  onToken(tokenId: number, index: number, atMs: number): void;
  onFinish(info: FinishInfo): void;
}

/** Receives engine-wide statistics as they happen (the metrics module implements it). */
export interface EngineStatsSink {
  prefixCache(queriedTokens: number, hitTokens: number): void;
  promptTokens(n: number): void;
  generationTokens(n: number): void;
  preemption(): void;
  firstToken(ttftMs: number): void;
  interToken(itlMs: number): void;
  finished(info: FinishInfo): void;
}

/** A point-in-time view of the scheduler for gauges and /get_server_info. */
export interface EngineSnapshot {
  running: number;
  waiting: number;
  usedBlocks: number;
  totalBlocks: number;
  blockSize: number;
  runningLoras: string[];
  waitingLoras: string[];
}
