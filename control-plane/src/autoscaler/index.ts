// Public entry of the autoscaler core: the pure decision and the cost split.
export * from './types.js';
export { decide, type Observation, type DecideResult } from './decide.js';
export { splitByCost, type CostParam, type CostSplit } from './cost.js';
