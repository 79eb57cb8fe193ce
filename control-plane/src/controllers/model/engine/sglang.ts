// SGLang engine command lines: `python3 -m sglang.launch_server --model-path …` on one node; on
// several nodes every pod runs the same launcher with `--nnodes`, `--node-rank $WORKER_INDEX`
// and `--dist-init-addr $ENTRY_ADDRESS:<port>` (rank 0, the entry, serves HTTP); PD workers
// get `--disaggregation-mode prefill|decode`.
import { configToArgs, configValue, hasFlag, shellLine, withoutFlags } from './flags.js';
import { PORT_ARG, type DrainMetrics, type EngineBuild, type EngineInput } from './types.js';

/** Port of SGLang's torch.distributed rendezvous on the entry pod (`--dist-init-addr`). */
export const SGLANG_DIST_INIT_PORT = 20000;
/** SGLang's gauges of running and queued requests (served with --enable-metrics). */
export const SGLANG_DRAIN_METRICS: DrainMetrics = { running: 'sglang:num_running_reqs', waiting: 'sglang:num_queue_reqs' };

const LAUNCHER = ['python3', '-m', 'sglang.launch_server'];
const OWN_FLAGS = ['--model-path', '--model', '--served-model-name', '--host', '--port', '--nnodes', '--node-rank', '--dist-init-addr', '--disaggregation-mode'];
const TP_FLAGS = ['--tp-size', '--tp', '--tensor-parallel-size'];

/** The SGLang command lines of one worker (pure). */
export function sglangEngine(input: EngineInput): EngineBuild {
  const model = configValue(input.config, '--model-path', '--model');
  const served = configValue(input.config, '--served-model-name');
  const args = ['--model-path', typeof model === 'string' ? model : input.modelPath];
  args.push('--served-model-name', served === undefined ? input.servedName : String(served));
  args.push('--host', '0.0.0.0', '--port', PORT_ARG);
  args.push(...configToArgs(withoutFlags(input.config, ...OWN_FLAGS), 'omit'));
  // The drain and the autoscaler read /metrics, which SGLang serves only when asked.
  if (!hasFlag(args, '--enable-metrics')) args.push('--enable-metrics');
  // --tp-size counts the GPUs of all nodes of the instance.
  const gpus = input.gpusPerPod * input.pods;
  if (gpus > 1 && !TP_FLAGS.some((f) => hasFlag(args, f))) args.push('--tp-size', String(gpus));
  if (input.lora && !hasFlag(args, '--enable-lora')) args.push('--enable-lora');
  if (input.adapters.length > 0 && !hasFlag(args, '--lora-paths')) args.push('--lora-paths', ...input.adapters.map((a) => `${a.name}=${a.path}`));
  if (input.role !== 'server') args.push('--disaggregation-mode', input.role);
  if (input.pods === 1) return { entry: { command: [...LAUNCHER], args } };
  const dist = configValue(input.config, '--dist-init-addr');
  const addr = typeof dist === 'string' ? dist : `$ENTRY_ADDRESS:${SGLANG_DIST_INIT_PORT}`;
  const line = `exec ${shellLine([...LAUNCHER, ...args, '--dist-init-addr', addr, '--nnodes', String(input.pods), '--node-rank', '$WORKER_INDEX'])}`;
  // Same launcher on every node: the rank comes from the pod's WORKER_INDEX.
  return { entry: { command: ['sh', '-c'], args: [line] }, worker: { command: ['sh', '-c'], args: [line] } };
}
