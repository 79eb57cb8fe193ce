// What an engine builder needs to know about one worker, and what it gives back: the command
// lines of the entry pod and (multi-node) of the worker pods. Builders are pure.

/** A worker of a backend as the engine builders see it. */
export interface EngineInput {
  /** Name the engine answers to (`--served-model-name`). */
  servedName: string;
  /** Local directory (or hub id) of the weights. */
  modelPath: string;
  /** The worker's `config`: engine arguments. */
  config?: Record<string, unknown>;
  role: 'server' | 'prefill' | 'decode';
  /** Pods of one instance: 1, or more for one engine spread over several nodes. */
  pods: number;
  /** GPUs of one pod (`nvidia.com/gpu`), 0 when none are asked for. */
  gpusPerPod: number;
  /** The backend declares LoRA adapters: start the engine able to load them at run time. */
  lora?: boolean;
  /** LoRA adapters loaded at start (those an init container downloads), with their local path. */
  adapters: { name: string; path: string }[];
}

/** Program and arguments of one pod's engine container. */
export interface EngineCommand {
  command: string[];
  args: string[];
}

/** The command lines of one worker. */
export interface EngineBuild {
  entry: EngineCommand;
  /** Command of pods 1.. of a multi-node instance (absent when pods is 1). */
  worker?: EngineCommand;
  /** KV connector of a PD worker (vLLM's kv_connector), when the engine uses one. */
  kvConnector?: string;
}

/** Engine gauges whose sum is the work still in flight (the preStop drain waits for 0). */
export interface DrainMetrics {
  running: string;
  waiting: string;
  /** Port of the engine's /metrics when it is not the HTTP port (Triton serves them on 8002). */
  metricsPort?: number;
}

/**
 * Argument the port is written as. The kubelet expands `$(PORT)` from the container's PORT env
 * var; the local actuator substitutes the port it allocated (events/src/workload.ts).
 */
export const PORT_ARG = '$(PORT)';
