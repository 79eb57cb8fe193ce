// Simulator options: named profiles plus overrides, validated once at start-up.

import { SimConfigError } from './errors.js';
import type { EngineParams } from './engine/types.js';

/** Which server the simulator imitates on the outside. */
export type EngineKind = 'vllm' | 'sglang' | 'triton' | 'torchserve';
/** Prefill/decode disaggregation role. */
export type PdRole = 'prefill' | 'decode' | 'both';

/** Fault injection applied to every request (headers can add more per request). */
export interface FaultOptions {
  /** Fraction [0,1] of requests that fail with an engine error before any work. */
  errorRate: number;
  firstTokenStallMs: number;
  stallAfterTokens: number;
  stallMs: number;
  /** Crash (process exit in the CLI) when request number N arrives; 0 = never. */
  crashAfter: number;
  /** /health answers 503 for this long after start (model ms). */
  startupDelayMs: number;
}

/** Every option of one simulator, after the profile and overrides are merged. */
export interface SimOptions extends EngineParams {
  engine: EngineKind;
  model: string;
  host: string;
  port: number;
  role: PdRole;
  profile: string;
  maxModelLen: number;
  /** Mean of the sampled natural output length (requests without ignore_eos stop there). */
  meanOutputTokens: number;
  timeScale: number;
  seed: number;
  enableLora: boolean;
  /** Adapters loaded at start: name -> path. */
  loraModules: Record<string, string>;
  /** Most adapters loaded at once (default --max-loras); a load beyond it is refused as the engines do. */
  maxLoadedLoras: number;
  /** Time a runtime adapter load takes before the adapter is served (model ms). */
  loraLoadDelayMs: number;
  legacyMetricNames: boolean;
  /** Report usage.prompt_tokens_details.cached_tokens (vLLM --enable-prompt-tokens-details). */
  enablePromptTokensDetails: boolean;
  /** How long a PD decode request waits for its prefill partner (SGLang bootstrap room), model ms. */
  bootstrapTimeoutMs: number;
  /** Port advertised as the KV bootstrap / NIXL side channel of this engine. */
  bootstrapPort: number;
  /** PD prefill: how long KV blocks wait for the decode side to pull them before they are freed (model ms). */
  kvHoldTimeoutMs: number;
  faults: FaultOptions;
  /** Triton: `none` loads every repository model at start and refuses load/unload; `explicit` loads `loadModels` only. */
  modelControlMode: 'none' | 'poll' | 'explicit';
  /** Triton explicit mode: models loaded at start (`*`: all); each name is in the repository. */
  loadModels: string[];
  /** Triton: a directory whose subdirectories are repository models (besides the served model), if it exists. */
  modelRepository: string | undefined;
  /** Triton: models the simulated repository holds without a directory (a stand-in has none). */
  repositoryModels: string[];
  /** TorchServe: port of the management API; undefined serves it on the inference port. */
  managementPort: number | undefined;
  /** TorchServe: workers of the model registered at start (TorchServe's default_workers_per_model). */
  defaultWorkersPerModel: number;
}

type ProfileValues = Omit<SimOptions, 'engine' | 'host' | 'port' | 'role' | 'profile' | 'timeScale' | 'seed'
  | 'enableLora' | 'loraModules' | 'maxLoadedLoras' | 'loraLoadDelayMs' | 'legacyMetricNames' | 'enablePromptTokensDetails' | 'faults' | 'bootstrapPort' | 'kvHoldTimeoutMs'
  | 'modelControlMode' | 'loadModels' | 'modelRepository' | 'repositoryModels' | 'managementPort' | 'defaultWorkersPerModel'>;

/** Named timing profiles; `--profile NAME` picks one and flags override single values. */
export const PROFILES: Readonly<Record<string, ProfileValues>> = {
  // An 8B model on one H100: ~500k tokens of KV, 30 ms prefill overhead, 0.25 ms per prompt token.
  'h100-8b': {
    model: 'meta-llama/Llama-3.1-8B-Instruct',
    maxNumSeqs: 256,
    kvBlocks: 31250,
    blockSize: 16,
    prefillOverheadMs: 30,
    prefillMsPerToken: 0.25,
    itlMs: 12,
    itlBatchFactor: 1,
    kvTransferMsPerBlock: 0.1,
    jitter: 0.05,
    maxLoras: 4,
    maxModelLen: 32768,
    meanOutputTokens: 128,
    bootstrapTimeoutMs: 30000,
  },
  // Small and fast for tests on a CPU: few slots, few blocks, millisecond latencies, no jitter.
  'cpu-small': {
    model: 'sim-small',
    maxNumSeqs: 8,
    kvBlocks: 512,
    blockSize: 16,
    prefillOverheadMs: 2,
    prefillMsPerToken: 0.02,
    itlMs: 1,
    itlBatchFactor: 1,
    kvTransferMsPerBlock: 0.05,
    jitter: 0,
    maxLoras: 2,
    maxModelLen: 4096,
    meanOutputTokens: 16,
    bootstrapTimeoutMs: 5000,
  },
};

/** Options as a caller gives them: a profile name plus any subset of values. */
export type SimOptionsInput = Partial<Omit<SimOptions, 'faults'>> & { faults?: Partial<FaultOptions> };

/** Merges profile defaults with `input` and validates; throws SimConfigError listing every problem. */
export function resolveOptions(input: SimOptionsInput = {}): SimOptions {
  const profileName = input.profile ?? 'h100-8b';
  const profile = PROFILES[profileName];
  if (!profile) {
    throw new SimConfigError([`profile: unknown profile "${profileName}" (known: ${Object.keys(PROFILES).join(', ')})`]);
  }
  const defined = <T extends object>(o: T): Partial<T> =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  const opts: SimOptions = {
    ...profile,
    engine: 'vllm',
    host: '127.0.0.1',
    port: 8000,
    role: 'both',
    timeScale: 1,
    seed: 42,
    enableLora: false,
    loraModules: {},
    loraLoadDelayMs: 0,
    legacyMetricNames: false,
    enablePromptTokensDetails: false,
    bootstrapPort: 8998,
    // vLLM's VLLM_NIXL_ABORT_REQUEST_TIMEOUT default.
    kvHoldTimeoutMs: 480_000,
    modelControlMode: 'none',
    loadModels: [],
    modelRepository: undefined,
    repositoryModels: [],
    managementPort: undefined,
    defaultWorkersPerModel: 1,
    ...defined(input),
    maxLoadedLoras: input.maxLoadedLoras ?? input.maxLoras ?? profile.maxLoras,
    profile: profileName,
    faults: {
      errorRate: 0, firstTokenStallMs: 0, stallAfterTokens: 0, stallMs: 0, crashAfter: 0, startupDelayMs: 0,
      ...defined(input.faults ?? {}),
    },
  };
  const problems = validate(opts);
  if (problems.length > 0) throw new SimConfigError(problems);
  return opts;
}

function validate(o: SimOptions): string[] {
  const p: string[] = [];
  const int = (name: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min) p.push(`${name}: must be an integer >= ${min}, got ${v}`);
  };
  const num = (name: string, v: number, min: number, max = Infinity): void => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      p.push(`${name}: must be a number in [${min}, ${max}], got ${v}`);
    }
  };
  if (!['vllm', 'sglang', 'triton', 'torchserve'].includes(o.engine)) p.push(`engine: must be vllm, sglang, triton or torchserve, got ${String(o.engine)}`);
  if ((o.engine === 'triton' || o.engine === 'torchserve') && o.role !== 'both') p.push(`role: the ${o.engine} mode has no prefill/decode disaggregation, got ${o.role}`);
  if (!['prefill', 'decode', 'both'].includes(o.role)) p.push(`role: must be prefill, decode or both, got ${String(o.role)}`);
  if (typeof o.model !== 'string' || o.model === '') p.push('model: must be a non-empty name');
  int('port', o.port, 0);
  int('maxNumSeqs', o.maxNumSeqs, 1);
  int('kvBlocks', o.kvBlocks, 1);
  int('blockSize', o.blockSize, 1);
  int('maxModelLen', o.maxModelLen, 1);
  int('maxLoras', o.maxLoras, 1);
  int('maxLoadedLoras', o.maxLoadedLoras, 1);
  num('loraLoadDelayMs', o.loraLoadDelayMs, 0);
  int('seed', o.seed, 0);
  int('bootstrapPort', o.bootstrapPort, 0);
  num('prefillOverheadMs', o.prefillOverheadMs, 0);
  num('prefillMsPerToken', o.prefillMsPerToken, 0);
  num('itlMs', o.itlMs, 0);
  num('itlBatchFactor', o.itlBatchFactor, 0);
  num('kvTransferMsPerBlock', o.kvTransferMsPerBlock, 0);
  num('jitter', o.jitter, 0, 1);
  num('meanOutputTokens', o.meanOutputTokens, 1);
  num('bootstrapTimeoutMs', o.bootstrapTimeoutMs, 0);
  num('kvHoldTimeoutMs', o.kvHoldTimeoutMs, 0);
  if (!(o.timeScale > 0) || !Number.isFinite(o.timeScale)) p.push(`timeScale: must be > 0, got ${o.timeScale}`);
  num('faults.errorRate', o.faults.errorRate, 0, 1);
  num('faults.firstTokenStallMs', o.faults.firstTokenStallMs, 0);
  int('faults.stallAfterTokens', o.faults.stallAfterTokens, 0);
  num('faults.stallMs', o.faults.stallMs, 0);
  int('faults.crashAfter', o.faults.crashAfter, 0);
  num('faults.startupDelayMs', o.faults.startupDelayMs, 0);
  // vLLM refuses to start when one max-length sequence cannot fit in the KV cache.
  if (o.kvBlocks * o.blockSize < o.maxModelLen) {
    p.push(`kvBlocks: ${o.kvBlocks} blocks x ${o.blockSize} tokens cannot hold one sequence of maxModelLen ${o.maxModelLen}`);
  }
  if (!['none', 'poll', 'explicit'].includes(o.modelControlMode)) p.push(`modelControlMode: must be none, poll or explicit, got ${String(o.modelControlMode)}`);
  if (o.loadModels.length > 0 && o.modelControlMode !== 'explicit') p.push('loadModels: --load-model needs --model-control-mode=explicit');
  if (o.loadModels.includes('*') && o.loadModels.length > 1) p.push('loadModels: --load-model=* must be the only --load-model');
  if (o.managementPort !== undefined) int('managementPort', o.managementPort, 0);
  int('defaultWorkersPerModel', o.defaultWorkersPerModel, 0);
  if (Object.keys(o.loraModules).length > 0 && !o.enableLora) p.push('loraModules: adapters given but enableLora is off');
  const modules = Object.keys(o.loraModules).length;
  if (modules > o.maxLoadedLoras) p.push(`loraModules: ${modules} adapters given but maxLoadedLoras is ${o.maxLoadedLoras}`);
  return p;
}
