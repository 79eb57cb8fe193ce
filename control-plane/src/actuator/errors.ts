// Typed errors of the local actuator. Callers branch on `code`, never on messages.

import { codedError } from '@matrixinfer/schemas';
import { ControlPlaneError } from '../errors.js';

export const ACTUATOR_ERROR_CODES = {
  healthTimeout: 'MI_ERR_ACTUATOR_HEALTH_TIMEOUT',
  exitBeforeReady: 'MI_ERR_ACTUATOR_EXIT_BEFORE_READY',
  spawnFailed: 'MI_ERR_ACTUATOR_SPAWN_FAILED',
  simulatorNotFound: 'MI_ERR_ACTUATOR_SIMULATOR_NOT_FOUND',
  invalidOption: 'MI_ERR_ACTUATOR_INVALID_OPTION',
} as const;

export type ActuatorErrorCode = (typeof ACTUATOR_ERROR_CODES)[keyof typeof ACTUATOR_ERROR_CODES];

/** Base of every actuator error; `code` is stable. */
export class ActuatorError extends ControlPlaneError {
  override name = 'ActuatorError';
  declare readonly code: ActuatorErrorCode;
}

/** An instance did not answer GET /health with 200 before its startup deadline. */
export const HealthTimeoutError = codedError(ActuatorError, 'HealthTimeoutError', ACTUATOR_ERROR_CODES.healthTimeout);
export type HealthTimeoutError = InstanceType<typeof HealthTimeoutError>;

/** An instance's process ended while the actuator still waited for it to become ready. */
export const ExitBeforeReadyError = codedError(ActuatorError, 'ExitBeforeReadyError', ACTUATOR_ERROR_CODES.exitBeforeReady);
export type ExitBeforeReadyError = InstanceType<typeof ExitBeforeReadyError>;

/** The operating system refused to start the instance's program (ENOENT, EACCES...). */
export const SpawnFailedError = codedError(ActuatorError, 'SpawnFailedError', ACTUATOR_ERROR_CODES.spawnFailed);
export type SpawnFailedError = InstanceType<typeof SpawnFailedError>;

/** The built-in simulator's entry point could not be located and no override was given. */
export const SimulatorNotFoundError = codedError(ActuatorError, 'SimulatorNotFoundError', ACTUATOR_ERROR_CODES.simulatorNotFound);
export type SimulatorNotFoundError = InstanceType<typeof SimulatorNotFoundError>;

/** An option passed to startLocalActuator is invalid (fails at start-up, loudly). */
export const InvalidActuatorOptionError = codedError(ActuatorError, 'InvalidActuatorOptionError', ACTUATOR_ERROR_CODES.invalidOption);
export type InvalidActuatorOptionError = InstanceType<typeof InvalidActuatorOptionError>;
