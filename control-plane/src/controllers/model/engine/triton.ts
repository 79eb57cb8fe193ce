// Triton Inference Server command line: `tritonserver --model-repository=<dir>` with its three
// documented listeners, HTTP (KServe v2 + the generate extension, the container's PORT, 8000 by
// default), gRPC 8001 and Prometheus metrics 8002. The model repository is modelURI (an init
// container downloads hf:// and s3:// sources first; Triton could read s3:// itself, but one
// download path for every engine keeps the cache and the lock in one place). The server runs in
// explicit model control mode with the served model loaded at start (`--model-control-mode=explicit
// --load-model=<name>`), so the endpoint controller can load, unload and repair repository
// models live (controllers/endpoints lifecycle); a config that sets its own mode keeps it.
import { configToArgs, configValue, withoutFlags } from './flags.js';
import { PORT_ARG, type DrainMetrics, type EngineBuild, type EngineInput } from './types.js';

/** Triton's default gRPC port. */
export const TRITON_GRPC_PORT = 8001;
/** Triton's default metrics port (`/metrics`, `nv_inference_*`). */
export const TRITON_METRICS_PORT = 8002;
/** Readiness of the server and every model it loaded (KServe v2 health API). */
export const TRITON_READY_PATH = '/v2/health/ready';
/** Liveness of the server process (KServe v2 health API). */
export const TRITON_LIVE_PATH = '/v2/health/live';
/**
 * Triton's in-flight gauges on its metrics port. The TensorRT-LLM backend reports its batch
 * manager (`nv_trt_llm_request_metrics`); any backend reports the pending (queued) count.
 */
export const TRITON_DRAIN_METRICS: DrainMetrics = { running: 'nv_inference_pending_request_count', waiting: 'nv_inference_pending_request_count', metricsPort: TRITON_METRICS_PORT };

const OWN_FLAGS = ['--model-repository', '--model-store', '--http-port', '--grpc-port', '--metrics-port', '--port'];

/** Model control flags: explicit mode loading `served` at start, unless the config chooses its own mode. */
export function tritonControlArgs(config: Record<string, unknown> | undefined, served: string): string[] {
  if (configValue(config, '--model-control-mode') !== undefined) return [];
  return ['--model-control-mode=explicit', ...(configValue(config, '--load-model') === undefined ? [`--load-model=${served}`] : [])];
}

/** The tritonserver command line of one worker (pure). */
export function tritonEngine(input: EngineInput): EngineBuild {
  const repo = configValue(input.config, '--model-repository', '--model-store');
  const grpc = configValue(input.config, '--grpc-port');
  const metrics = configValue(input.config, '--metrics-port');
  // Triton's options take `--name=value` (getopt_long); the builder writes its own that way.
  const args = [
    `--model-repository=${typeof repo === 'string' ? repo : input.modelPath}`,
    `--http-port=${PORT_ARG}`,
    `--grpc-port=${grpc === undefined ? TRITON_GRPC_PORT : String(grpc)}`,
    `--metrics-port=${metrics === undefined ? TRITON_METRICS_PORT : String(metrics)}`,
  ];
  args.push(...tritonControlArgs(input.config, input.servedName));
  args.push(...configToArgs(withoutFlags(input.config, ...OWN_FLAGS), 'omit'));
  return { entry: { command: ['tritonserver'], args } };
}
