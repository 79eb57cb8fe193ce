// Public entry of the autoscaler runner: start the loop, read its status, decode samples.
export { startAutoscaler, readAutoscalerStatus, type AutoscalerOptions, type RunningAutoscaler, type AutoscalerStatus } from './autoscaler.js';
export { AUTOSCALER_DECISION, type AutoscalerDecisionData } from './step.js';
export { decodeSample, type DecodedSample } from './decode.js';
