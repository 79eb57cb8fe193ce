// `@matrixinfer/engine-sim/engine`: the pure engine core in model time (no HTTP, no timers) for
// offline benchmarks that drive engines themselves, with the recording sink and request
// builders of its tests and the named profiles' engine parameters.
export { createEngineCore, type EngineCore } from './core.js';
export { createRng, type Rng } from './rng.js';
export { recordingListener, recordingSink, testRequest, type RecordingListener, type RecordingSink } from './testing.js';
export type { EngineParams, EngineRequest, EngineSnapshot, EngineStatsSink, FinishInfo, RequestListener } from './types.js';
export { PROFILES } from '../config.js';
