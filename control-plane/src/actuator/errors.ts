// Typed errors of the local actuator. Callers branch on `code`, never on messages.

import { codedErrors, codedFamily } from '@matrixinfer/schemas';
import { ControlPlaneError } from '../errors.js';

export const ACTUATOR_ERROR_CODES = {
  healthTimeout: 'MI_ERR_ACTUATOR_HEALTH_TIMEOUT',
  exitBeforeReady: 'MI_ERR_ACTUATOR_EXIT_BEFORE_READY',
  spawnFailed: 'MI_ERR_ACTUATOR_SPAWN_FAILED',
  simulatorNotFound: 'MI_ERR_ACTUATOR_SIMULATOR_NOT_FOUND',
  invalidOption: 'MI_ERR_ACTUATOR_INVALID_OPTION',
} as const;

/** Base of every actuator error; `code` is stable. */
export const ActuatorError = codedFamily(ControlPlaneError, 'ActuatorError', ACTUATOR_ERROR_CODES);

/** The ActuatorError family, one class per stable code; `instanceof` each or branch on `code`. */
export const { HealthTimeoutError, ExitBeforeReadyError, SpawnFailedError, SimulatorNotFoundError, InvalidActuatorOptionError } = codedErrors(ActuatorError, {
  /** An instance did not answer GET /health with 200 before its startup deadline. */
  HealthTimeoutError: ACTUATOR_ERROR_CODES.healthTimeout,
  /** An instance's process ended while the actuator still waited for it to become ready. */
  ExitBeforeReadyError: ACTUATOR_ERROR_CODES.exitBeforeReady,
  /** The operating system refused to start the instance's program (ENOENT, EACCES...). */
  SpawnFailedError: ACTUATOR_ERROR_CODES.spawnFailed,
  /** The built-in simulator's entry point could not be located and no override was given. */
  SimulatorNotFoundError: ACTUATOR_ERROR_CODES.simulatorNotFound,
  /** An option passed to startLocalActuator is invalid (fails at start-up, loudly). */
  InvalidActuatorOptionError: ACTUATOR_ERROR_CODES.invalidOption,
});

