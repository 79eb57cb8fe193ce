// Typed errors of the local actuator. Callers branch on `code`, never on messages.

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
  override readonly name: string = 'ActuatorError';
  declare readonly code: ActuatorErrorCode;
  constructor(code: ActuatorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** An instance did not answer GET /health with 200 before its startup deadline. */
export class HealthTimeoutError extends ActuatorError {
  override readonly name = 'HealthTimeoutError';
  constructor(message: string) {
    super(ACTUATOR_ERROR_CODES.healthTimeout, message);
  }
}

/** An instance's process ended while the actuator still waited for it to become ready. */
export class ExitBeforeReadyError extends ActuatorError {
  override readonly name = 'ExitBeforeReadyError';
  constructor(message: string) {
    super(ACTUATOR_ERROR_CODES.exitBeforeReady, message);
  }
}

/** The operating system refused to start the instance's program (ENOENT, EACCES...). */
export class SpawnFailedError extends ActuatorError {
  override readonly name = 'SpawnFailedError';
  constructor(message: string, cause?: unknown) {
    super(ACTUATOR_ERROR_CODES.spawnFailed, message, { cause });
  }
}

/** The built-in simulator's entry point could not be located and no override was given. */
export class SimulatorNotFoundError extends ActuatorError {
  override readonly name = 'SimulatorNotFoundError';
  constructor(message: string) {
    super(ACTUATOR_ERROR_CODES.simulatorNotFound, message);
  }
}

/** An option passed to startLocalActuator is invalid (fails at start-up, loudly). */
export class InvalidActuatorOptionError extends ActuatorError {
  override readonly name = 'InvalidActuatorOptionError';
  constructor(message: string) {
    super(ACTUATOR_ERROR_CODES.invalidOption, message);
  }
}
