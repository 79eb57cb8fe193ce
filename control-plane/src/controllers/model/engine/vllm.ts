// vLLM engine command lines: `vllm serve <model>` (the OpenAI API server) on one node; on
// several nodes a Ray cluster started by vLLM's own multi-node-serving.sh (leader on the entry
// pod, workers joining it at $ENTRY_ADDRESS), then `vllm serve` with the Ray executor on the
// leader; PD workers get a `--kv-transfer-config` (NixlConnector unless the config names one).
import { configToArgs, configValue, hasFlag, shellLine, withoutFlags } from './flags.js';
import { PORT_ARG, type DrainMetrics, type EngineBuild, type EngineInput } from './types.js';

/** vLLM's helper script in the vllm/vllm-openai image (examples/online_serving/multi-node-serving.sh). */
export const VLLM_MULTI_NODE_SCRIPT = '/vllm-workspace/examples/online_serving/multi-node-serving.sh';
/** The KV connector a vLLM PD worker uses when its config names none. */
export const VLLM_DEFAULT_KV_CONNECTOR = 'NixlConnector';
/** vLLM's gauges of running and queued requests. */
export const VLLM_DRAIN_METRICS: DrainMetrics = { running: 'vllm:num_requests_running', waiting: 'vllm:num_requests_waiting' };

const OWN_FLAGS = ['--model', '--served-model-name', '--host', '--port', '--kv-transfer-config'];

/**
 * The `--kv-transfer-config` of a PD worker: the config's own (string or object), with kv_role
 * filled in when missing (kv_both for NIXL, which transfers both ways; kv_producer on prefill
 * and kv_consumer on decode for LMCache, Mooncake and the others).
 */
export function vllmKvTransferConfig(role: 'prefill' | 'decode', raw: unknown): { json: string; connector: string } {
  let cfg: Record<string, unknown> = {};
  if (typeof raw === 'string') {
    try {
      cfg = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return { json: raw, connector: '' }; // vLLM itself reports the broken JSON at start
    }
  } else if (raw && typeof raw === 'object') cfg = { ...(raw as Record<string, unknown>) };
  const connector = typeof cfg.kv_connector === 'string' ? cfg.kv_connector : VLLM_DEFAULT_KV_CONNECTOR;
  const kvRole = cfg.kv_role ?? (connector.toLowerCase().includes('nixl') ? 'kv_both' : role === 'prefill' ? 'kv_producer' : 'kv_consumer');
  const { kv_connector: _c, kv_role: _r, ...rest } = cfg;
  return { json: JSON.stringify({ kv_connector: connector, kv_role: kvRole, ...rest }), connector };
}

/** The vLLM command lines of one worker (pure). */
export function vllmEngine(input: EngineInput): EngineBuild {
  const model = configValue(input.config, '--model');
  const args = [typeof model === 'string' ? model : input.modelPath];
  const served = configValue(input.config, '--served-model-name');
  args.push('--served-model-name', ...(served === undefined ? [input.servedName] : Array.isArray(served) ? served.map(String) : [String(served)]));
  args.push('--host', '0.0.0.0', '--port', PORT_ARG);
  args.push(...configToArgs(withoutFlags(input.config, ...OWN_FLAGS), 'negate'));
  // Without a parallelism of its own, a pod uses all its GPUs (TP) and an instance all its nodes (PP), as vLLM's guide lays out.
  if (input.gpusPerPod > 1 && !hasFlag(args, '--tensor-parallel-size') && !hasFlag(args, '-tp')) args.push('--tensor-parallel-size', String(input.gpusPerPod));
  if (input.pods > 1 && !hasFlag(args, '--pipeline-parallel-size') && !hasFlag(args, '-pp')) args.push('--pipeline-parallel-size', String(input.pods));
  if ((input.lora || input.adapters.length > 0) && !hasFlag(args, '--enable-lora')) args.push('--enable-lora');
  if (input.adapters.length > 0 && !hasFlag(args, '--lora-modules')) args.push('--lora-modules', ...input.adapters.map((a) => `${a.name}=${a.path}`));
  let kvConnector: string | undefined;
  if (input.role !== 'server') {
    const kv = vllmKvTransferConfig(input.role, configValue(input.config, '--kv-transfer-config'));
    args.push('--kv-transfer-config', kv.json);
    kvConnector = kv.connector;
  }
  if (input.pods === 1) return { entry: { command: ['vllm', 'serve'], args }, kvConnector };
  if (!hasFlag(args, '--distributed-executor-backend')) args.push('--distributed-executor-backend', 'ray');
  const leader = `bash ${VLLM_MULTI_NODE_SCRIPT} leader --ray_cluster_size=${input.pods} && exec ${shellLine(['vllm', 'serve', ...args])}`;
  const worker = `exec bash ${VLLM_MULTI_NODE_SCRIPT} worker --ray_address=$ENTRY_ADDRESS`;
  return { entry: { command: ['sh', '-c'], args: [leader] }, worker: { command: ['sh', '-c'], args: [worker] }, kvConnector };
}
