// Everything the HTTP handlers of one simulator share (built once in simulator.ts).

import type { SimOptions } from '../config.js';
import type { Clock } from '../engine/clock.js';
import type { EngineCore } from '../engine/core.js';
import type { EngineLoop } from '../engine/loop.js';
import type { FaultController } from './faults.js';
import type { LoraRegistry } from './lora.js';
import type { RoomBook } from './rooms.js';
import type { TorchserveRegistry } from './torchserve-registry.js';
import type { TritonRepository } from './triton-repository.js';
import type { TraceLog } from './trace-log.js';

/** Shared state of one simulator's HTTP layer. */
export interface SimContext {
  opts: SimOptions;
  core: EngineCore;
  loop: EngineLoop;
  clock: Clock;
  adapters: LoraRegistry;
  /** Triton mode: the model repository (which models exist and which are loaded). */
  repository: TritonRepository;
  /** TorchServe mode: the registered models and their workers. */
  registry: TorchserveRegistry;
  faults: FaultController;
  rooms: RoomBook;
  /** Trace headers of recent generation requests (GET /sim/traces). */
  traces: TraceLog;
  /** Identifies this engine in PD kv_transfer_params (remote_engine_id). */
  engineId: string;
  /** Host/port a PD peer would use to pull KV from this engine. */
  advertisedHost: string;
  sidePort(): number;
  /** Called for every accepted generation request (metrics of request parameters). */
  onAccepted(n: number, maxTokens: number): void;
  /** Crash the engine (CLI: exit the process; in-process: drop every connection and stop). */
  crash(): void;
  /** Unique id for the next engine request. */
  nextRequestId(): string;
  /** Model time at which the engine becomes healthy (--startup-delay-ms). */
  readyAtMs: number;
}
