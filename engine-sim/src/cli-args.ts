// Command-line flags of mi-engine-sim -> simulator options (flags override the chosen profile).

import { Command, InvalidArgumentError, Option } from 'commander';
import { PROFILES, type SimOptionsInput } from './config.js';
import { SimConfigError } from './errors.js';

const num = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`not a number: ${v}`);
  return n;
};

/** Simulator options plus the engine flags the simulator does not model (ignored, to be logged). */
export interface ParsedArgs {
  input: SimOptionsInput;
  ignored: string[];
}

/**
 * Parses argv into simulator options (flags override the chosen profile). Unknown flags (a real
 * engine's `--gpu-memory-utilization 0.9`, `--tensor-parallel-size 2`, ...) are accepted and
 * returned in `ignored`, so a ModelServer written for vLLM runs unchanged on the simulator.
 */
export function parseCli(argv: readonly string[]): ParsedArgs {
  const cmd = new Command('mi-engine-sim')
    .description('Engine simulator that behaves like a vLLM or SGLang OpenAI server and models their timing')
    .addOption(new Option('--engine <kind>', 'server to imitate').choices(['vllm', 'sglang', 'triton', 'torchserve']))
    .addOption(new Option('--profile <name>', 'timing profile').choices(Object.keys(PROFILES)))
    .option('--model <name>', 'served model name')
    .option('--served-model-name <name>', 'served model name (vLLM spelling; wins over --model)')
    .option('--host <host>', 'listen address (default 127.0.0.1)')
    .option('--port <port>', 'listen port (default 8000, 0 = any free port)', num)
    .addOption(new Option('--role <role>', 'PD disaggregation role').choices(['prefill', 'decode', 'both']))
    .option('--max-num-seqs <n>', 'most requests running at once', num)
    .option('--kv-blocks <n>', 'KV cache size in blocks', num)
    .option('--block-size <n>', 'tokens per KV block', num)
    .option('--max-model-len <n>', 'context length (prompt + max_tokens)', num)
    .option('--prefill-overhead-ms <ms>', 'fixed prefill cost per request', num)
    .option('--prefill-ms-per-token <ms>', 'prefill cost per uncached prompt token', num)
    .option('--itl-ms <ms>', 'inter-token latency at batch size 1', num)
    .option('--itl-batch-factor <k>', 'itl = itl-ms * (1 + k*(B-1)/(max-num-seqs-1))', num)
    .option('--kv-transfer-ms-per-block <ms>', 'PD decode: KV transfer time per uncached block', num)
    .option('--jitter <fraction>', 'relative jitter of every modelled duration (0..1)', num)
    .option('--mean-output-tokens <n>', 'mean natural output length (without ignore_eos)', num)
    .option('--time-scale <n>', 'run N times faster than real time; reported times stay in model time', num)
    .option('--seed <n>', 'seed of every random choice', num)
    .option('--enable-lora', 'enable LoRA adapters and the load/unload endpoints')
    .option('--max-loras <n>', 'most distinct adapters in one batch', num)
    .option('--lora-modules <name=path...>', 'adapters loaded at start')
    .option('--max-loaded-loras <n>', 'most adapters loaded at once (default: --max-loras); more loads are refused', num)
    .option('--lora-load-delay-ms <ms>', 'time a runtime adapter load takes (model ms)', num)
    .option('--enable-prompt-tokens-details', 'report usage.prompt_tokens_details.cached_tokens')
    .option('--legacy-metric-names', 'also expose vllm:gpu_cache_usage_perc, gpu_prefix_cache_* and time_per_output_token_seconds')
    .option('--bootstrap-port <port>', 'SGLang prefill: bootstrap server port (0 = any free port)', num)
    .option('--bootstrap-timeout-ms <ms>', 'PD decode: how long to wait for the prefill partner', num)
    .option('--kv-hold-timeout-ms <ms>', 'PD prefill: how long KV waits for the decode side before it is freed', num)
    .option('--error-rate <fraction>', 'fraction of requests failing with an engine error', num)
    .option('--first-token-stall-ms <ms>', 'extra delay before every first token', num)
    .option('--stall-after-tokens <n>', 'mid-stream stall position', num)
    .option('--stall-ms <ms>', 'mid-stream stall length', num)
    .option('--crash-after <n>', 'exit with code 70 when request n+1 arrives', num)
    .addOption(new Option('--model-control-mode <mode>', 'Triton: model control mode').choices(['none', 'poll', 'explicit']))
    .option('--load-model <name...>', 'Triton explicit mode: model loaded at start (repeatable; * = all)')
    .option('--model-repository <dir>', 'Triton: repository directory (its subdirectories are models)')
    .option('--repository-models <names...>', 'Triton: models the simulated repository holds besides --model-repository (comma-separated or repeated)')
    .option('--management-port <port>', 'TorchServe: management API port (default: on the inference port)', num)
    .option('--default-workers-per-model <n>', 'TorchServe: workers of the model registered at start (default 1)', num)
    .option('--startup-delay-ms <ms>', '/health answers 503 for this long after start', num)
    .allowUnknownOption()
    .allowExcessArguments()
    .exitOverride();
  cmd.parse(argv as string[], { from: 'user' });
  const o = cmd.opts<Record<string, unknown>>();
  const loraModules: Record<string, string> = {};
  for (const spec of (o.loraModules as string[] | undefined) ?? []) {
    if (spec.startsWith('{')) {
      // vLLM also accepts '{"name": "...", "path": "...", "base_model_name": "..."}'.
      let parsed: unknown;
      try {
        parsed = JSON.parse(spec);
      } catch {
        throw new SimConfigError([`lora-modules: invalid JSON ${spec}`]);
      }
      const j = parsed as { name?: unknown; path?: unknown };
      if (typeof j.name !== 'string' || typeof j.path !== 'string') throw new SimConfigError([`lora-modules: JSON needs name and path, got ${spec}`]);
      loraModules[j.name] = j.path;
      continue;
    }
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new SimConfigError([`lora-modules: expected name=path, got ${spec}`]);
    loraModules[spec.slice(0, eq)] = spec.slice(eq + 1);
  }
  const n = (k: string): number | undefined => o[k] as number | undefined;
  const input: SimOptionsInput = {
    engine: o.engine as SimOptionsInput['engine'], profile: o.profile as string | undefined,
    model: (o.servedModelName ?? o.model) as string | undefined,
    host: o.host as string | undefined, port: n('port'), role: o.role as SimOptionsInput['role'],
    maxNumSeqs: n('maxNumSeqs'), kvBlocks: n('kvBlocks'), blockSize: n('blockSize'), maxModelLen: n('maxModelLen'),
    prefillOverheadMs: n('prefillOverheadMs'), prefillMsPerToken: n('prefillMsPerToken'), itlMs: n('itlMs'),
    itlBatchFactor: n('itlBatchFactor'), kvTransferMsPerBlock: n('kvTransferMsPerBlock'), jitter: n('jitter'),
    meanOutputTokens: n('meanOutputTokens'), timeScale: n('timeScale'), seed: n('seed'),
    enableLora: o.enableLora === true ? true : Object.keys(loraModules).length > 0 ? true : undefined,
    maxLoras: n('maxLoras'), maxLoadedLoras: n('maxLoadedLoras'), loraLoadDelayMs: n('loraLoadDelayMs'), loraModules, legacyMetricNames: o.legacyMetricNames === true ? true : undefined,
    enablePromptTokensDetails: o.enablePromptTokensDetails === true ? true : undefined,
    modelControlMode: o.modelControlMode as SimOptionsInput['modelControlMode'],
    loadModels: (o.loadModel as string[] | undefined)?.flatMap((v) => v.split(',')).filter((v) => v !== ''),
    modelRepository: o.modelRepository as string | undefined,
    repositoryModels: (o.repositoryModels as string[] | undefined)?.flatMap((v) => v.split(',')).filter((v) => v !== ''),
    managementPort: n('managementPort'), defaultWorkersPerModel: n('defaultWorkersPerModel'),
    bootstrapPort: n('bootstrapPort'), bootstrapTimeoutMs: n('bootstrapTimeoutMs'), kvHoldTimeoutMs: n('kvHoldTimeoutMs'),
    faults: {
      errorRate: n('errorRate'), firstTokenStallMs: n('firstTokenStallMs'), stallAfterTokens: n('stallAfterTokens'),
      stallMs: n('stallMs'), crashAfter: n('crashAfter'), startupDelayMs: n('startupDelayMs'),
    },
  };
  return { input, ignored: cmd.args.slice() };
}

/** Parses argv into simulator options, ignoring flags the simulator does not model. */
export function parseArgs(argv: readonly string[]): SimOptionsInput {
  return parseCli(argv).input;
}
