// What differs between engine families once their command line is built: the health paths the
// probes use, the ports besides HTTP, how the preStop drains, and the simulator's --engine name.
import type { EngineFamily } from '@matrixinfer/events';
import { SGLANG_DRAIN_METRICS } from './sglang.js';
import { TORCHSERVE_DRAIN_METRICS, TORCHSERVE_MANAGEMENT_PORT, TORCHSERVE_METRICS_PORT, TORCHSERVE_PING_PATH } from './torchserve.js';
import { TRITON_DRAIN_METRICS, TRITON_GRPC_PORT, TRITON_LIVE_PATH, TRITON_METRICS_PORT, TRITON_READY_PATH } from './triton.js';
import type { DrainMetrics } from './types.js';
import { VLLM_DRAIN_METRICS } from './vllm.js';

/** Per-family facts of an engine container. */
export interface FamilyTraits {
  /** Probe path of readiness and start-up. */
  readyPath: string;
  /** Probe path of liveness. */
  livePath: string;
  /** Container ports besides `http` (named, for Services and scrapers). */
  extraPorts: { containerPort: number; name: string }[];
  /** Gauges the preStop waits on; undefined: the engine has none, the preStop only delays. */
  drain?: DrainMetrics;
  /** `mi-engine-sim --engine` value standing in for it. */
  simulatorEngine: 'vllm' | 'sglang' | 'triton' | 'torchserve';
}

const TRAITS: Record<EngineFamily, FamilyTraits> = {
  vLLM: { readyPath: '/health', livePath: '/health', extraPorts: [], drain: VLLM_DRAIN_METRICS, simulatorEngine: 'vllm' },
  SGLang: { readyPath: '/health', livePath: '/health', extraPorts: [], drain: SGLANG_DRAIN_METRICS, simulatorEngine: 'sglang' },
  Triton: {
    readyPath: TRITON_READY_PATH,
    livePath: TRITON_LIVE_PATH,
    extraPorts: [
      { containerPort: TRITON_GRPC_PORT, name: 'grpc' },
      { containerPort: TRITON_METRICS_PORT, name: 'metrics' },
    ],
    drain: TRITON_DRAIN_METRICS,
    simulatorEngine: 'triton',
  },
  TorchServe: {
    readyPath: TORCHSERVE_PING_PATH,
    livePath: TORCHSERVE_PING_PATH,
    extraPorts: [
      { containerPort: TORCHSERVE_MANAGEMENT_PORT, name: 'management' },
      { containerPort: TORCHSERVE_METRICS_PORT, name: 'metrics' },
    ],
    drain: TORCHSERVE_DRAIN_METRICS,
    simulatorEngine: 'torchserve',
  },
};

/** The traits of an engine family. */
export function familyTraits(family: EngineFamily): FamilyTraits {
  return TRAITS[family];
}
