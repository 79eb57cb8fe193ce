// Public entry of @matrixinfer/engine-sim: the engine simulator in-process (tests and benchmarks
// of other packages) and its tokenizer. The `mi-engine-sim` bin runs `main.ts`.
export { startSimulator, type RunningSimulator, type StartSimulatorOptions } from './simulator.js';
export { PROFILES as SIM_PROFILES, type SimOptions, type SimOptionsInput } from './config.js';
export { tokenize as simTokenize, detokenize as simDetokenize, applyChatTemplate as simApplyChatTemplate } from './engine/tokenizer.js';
