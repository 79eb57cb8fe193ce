// TorchServe command line. TorchServe takes its listen addresses only from config.properties
// (`inference_address`, `management_address`, `metrics_address`), so the container writes one
// with the pod's PORT for inference (8080 is TorchServe's own default, the platform gives every
// engine its PORT), management on 8081 and metrics on 8082 in Prometheus mode, then runs
// `torchserve --start --foreground --model-store <dir> --models <name>=<archive>` with token
// auth off (the gateway is the front door) and the model API on (register/unregister/scale).
import { configValue, shellLine } from './flags.js';
import type { DrainMetrics, EngineBuild, EngineInput } from './types.js';

/** TorchServe's management API port (register, unregister, scale workers). */
export const TORCHSERVE_MANAGEMENT_PORT = 8081;
/** TorchServe's metrics API port (`/metrics`, `ts_*`). */
export const TORCHSERVE_METRICS_PORT = 8082;
/** Where the container writes its config.properties. */
export const TORCHSERVE_CONFIG_FILE = '/tmp/mi-torchserve.properties';
/** TorchServe's health API on the inference port. */
export const TORCHSERVE_PING_PATH = '/ping';
/**
 * TorchServe has no in-flight gauge on its metrics port (its `ts_*` series are counters of
 * requests and of cumulative microseconds), so its preStop only waits for routers to stop
 * sending (drain.ts delayPreStop); see docs/user-guide.md "Triton and TorchServe backends".
 */
export const TORCHSERVE_DRAIN_METRICS: DrainMetrics | undefined = undefined;

/**
 * The `--models` value: the config's `models`, else `<served>=<archive>`: a modelURI naming a
 * `.mar` file loads that archive, any other modelURI (a model store directory) `<served>.mar`.
 */
export function torchserveModels(input: EngineInput): { store: string; models: string } {
  const models = configValue(input.config, '--models');
  const store = configValue(input.config, '--model-store');
  const path = input.modelPath.replace(/\/+$/, '');
  if (path.endsWith('.mar')) {
    const cut = path.lastIndexOf('/');
    return { store: typeof store === 'string' ? store : cut > 0 ? path.slice(0, cut) : '.', models: typeof models === 'string' ? models : `${input.servedName}=${path.slice(cut + 1)}` };
  }
  return { store: typeof store === 'string' ? store : path, models: typeof models === 'string' ? models : `${input.servedName}=${input.servedName}.mar` };
}

/** The config.properties lines of one worker: listen addresses, Prometheus metrics, the config's `properties` object. */
export function torchserveProperties(input: EngineInput): string[] {
  const lines = [
    'inference_address=http://0.0.0.0:$PORT',
    `management_address=http://0.0.0.0:${TORCHSERVE_MANAGEMENT_PORT}`,
    `metrics_address=http://0.0.0.0:${TORCHSERVE_METRICS_PORT}`,
    'metrics_mode=prometheus',
  ];
  const extra = configValue(input.config, '--properties');
  if (extra !== null && typeof extra === 'object' && !Array.isArray(extra)) {
    for (const k of Object.keys(extra).sort()) lines.push(`${k}=${String((extra as Record<string, unknown>)[k])}`);
  }
  return lines;
}

/** The TorchServe command line of one worker (pure). */
export function torchserveEngine(input: EngineInput): EngineBuild {
  const { store, models } = torchserveModels(input);
  // printf's format has no user text: each property line is an argument, so no % or \ in a value is interpreted.
  const write = `printf '%s\\n' ${torchserveProperties(input).map((l) => `"${l.replace(/["\\`]/g, '\\$&')}"`).join(' ')} > ${TORCHSERVE_CONFIG_FILE}`;
  const run = shellLine(['torchserve', '--start', '--foreground', '--no-config-snapshots', '--disable-token-auth', '--enable-model-api', '--ts-config', TORCHSERVE_CONFIG_FILE, '--model-store', store, '--models', models]);
  return { entry: { command: ['sh', '-c'], args: [`${write} && exec ${run}`] } };
}
