// Typed errors of the controllers and the projector. Callers branch on `code`.

import { ControlPlaneError } from '../errors.js';

/** Base of every controller/projector error. */
export class ControllerError extends ControlPlaneError {
  override name = 'ControllerError';
}

/** A resource the controllers cannot turn into children or instances (bad spec that passed admission). */
export class InvalidResourceError extends ControllerError {
  override name = 'InvalidResourceError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('MI_ERR_CONTROLLER_INVALID_RESOURCE', message, options);
  }
}

/** A runner could not read or write NATS (stream missing, server gone). */
export class RunnerIoError extends ControllerError {
  override name = 'RunnerIoError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('MI_ERR_CONTROLLER_IO', message, options);
  }
}
