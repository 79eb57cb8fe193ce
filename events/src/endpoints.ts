// Contract between the endpoint controller (which probes every ready engine after it is ready:
// health, and the LoRA adapters it really serves) and the projector (which drops unhealthy
// endpoints from the routing table and lists each endpoint's loaded adapters).
//
// Subjects:
//   observation mi.observed.endpoint.<namespace>.<modelinfer>.<instance>  data: EndpointObservation
//   decision    mi.decisions.lora.<namespace>.<instance>                   data: LoraDecision
// Published on change only (health flips, adapter set changes), not on every probe.

/** Event type of an EndpointObservation envelope. */
export const ENDPOINT_OBSERVATION = 'serving.endpoint.observed';
/** Event type of a LoraDecision envelope (one per load or unload attempt). */
export const LORA_DECISION = 'serving.lora.decided';
/** Event type of the outcome of a LoraDecision (same subject). */
export const LORA_RESULT = 'serving.lora.result';

/** What the endpoint controller saw of one ready instance. */
export interface EndpointObservation {
  instance: string;
  namespace: string;
  modelInfer: string;
  /** The address probed: a report about another run of the instance (other address) is stale. */
  address: string;
  /** InstanceObservation.incarnation of the run probed (absent = 0). */
  incarnation?: number;
  /** Revision of the run probed. */
  revision: string;
  /** False once `unhealthyThreshold` probes in a row failed; true again after `healthyThreshold` passed. */
  healthy: boolean;
  /** LoRA adapters listed by the engine's /v1/models, sorted; absent when not read (unhealthy, or never answered). */
  adapters?: string[];
  /** Triton / TorchServe: the models the engine has READY / registered, sorted; absent when not read. */
  engineModels?: string[];
  /** Why this observation was published, in words. */
  reason: string;
  timeMs: number;
}

/** One load or unload the endpoint controller decided, with its reason. */
export interface LoraDecision {
  instance: string;
  namespace: string;
  modelInfer: string;
  address: string;
  action: 'load' | 'unload';
  adapter: string;
  /** Path (or hub id) given to the engine on a load. */
  path?: string;
  /** 1 for the first try, then counting retries. */
  attempt: number;
  /** `load` (desired, never seen here), `repair` (was loaded, engine lost it), `unload` (not desired). */
  kind: 'load' | 'repair' | 'unload';
  reason: string;
  timeMs: number;
}

/** The outcome of one LoraDecision. */
export interface LoraResult {
  instance: string;
  namespace: string;
  action: 'load' | 'unload';
  adapter: string;
  attempt: number;
  ok: boolean;
  /** HTTP status of the engine's answer (absent: no answer). */
  status?: number;
  /** The engine's error message, or the connection error. */
  error?: string;
  /** When the next attempt is due after a failure. */
  retryAtMs?: number;
  timeMs: number;
}

// Model lifecycle of Triton and TorchServe endpoints (the served model and the backend's
// modelLifecycle.models kept loaded / registered, TorchServe workers kept at the desired count):
//   decision    mi.decisions.enginemodel.<namespace>.<instance>            data: EngineModelDecision
/** Event type of an EngineModelDecision envelope (one per load, unload or scale attempt). */
export const ENGINE_MODEL_DECISION = 'serving.enginemodel.decided';
/** Event type of the outcome of an EngineModelDecision (same subject). */
export const ENGINE_MODEL_RESULT = 'serving.enginemodel.result';

/** One model lifecycle call the endpoint controller decided, with its reason. */
export interface EngineModelDecision {
  instance: string;
  namespace: string;
  modelInfer: string;
  /** The address the call goes to (TorchServe: its management API). */
  address: string;
  engine: 'Triton' | 'TorchServe';
  /** Triton: repository load / unload; TorchServe: register / unregister / scale workers. */
  action: 'load' | 'unload' | 'scale';
  model: string;
  /** TorchServe: the archive registered. */
  url?: string;
  /** TorchServe: min_worker / max_worker asked for (register and scale). */
  minWorkers?: number;
  maxWorkers?: number;
  attempt: number;
  /** `load` (desired, never seen here), `repair` (was there, the engine lost it), `unload` (ours and not desired), `scale` (worker count drifted). */
  kind: 'load' | 'repair' | 'unload' | 'scale';
  reason: string;
  timeMs: number;
}

/** The outcome of one EngineModelDecision. */
export interface EngineModelResult {
  instance: string;
  namespace: string;
  action: 'load' | 'unload' | 'scale';
  model: string;
  attempt: number;
  ok: boolean;
  status?: number;
  error?: string;
  retryAtMs?: number;
  timeMs: number;
}
