// Public entry of @matrixinfer/control-plane.
export {};
export { startLocalActuator, type LocalActuator, type LocalActuatorOptions, type ActuatorInstance } from './actuator/actuator.js';
export { planActions, type ActionPlan, type RunningInstance } from './actuator/plan.js';
export { ActuatorError, ACTUATOR_ERROR_CODES } from './actuator/errors.js';
