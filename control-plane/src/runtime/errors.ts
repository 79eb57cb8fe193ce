// Typed errors of the runtime (`mi up`): start-up problems a person must fix.

import { ControlPlaneError } from '../errors.js';

/** Base of the runtime's errors. */
export class RuntimeError extends ControlPlaneError {
  override name = 'RuntimeError';
}

/** A port `mi up` needs is taken by another process. */
export class PortBusyError extends RuntimeError {
  readonly port: number;
  constructor(port: number, hint: string) {
    super('MI_ERR_PORT_BUSY', `port ${port} is already in use. ${hint}`);
    this.name = 'PortBusyError';
    this.port = port;
  }
}

/** A child process did not start, or exited before it was ready. */
export class ChildStartError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MI_ERR_CHILD_START', message, options);
    this.name = 'ChildStartError';
  }
}

/** Something did not become ready before its deadline. */
export class StartTimeoutError extends RuntimeError {
  constructor(message: string) {
    super('MI_ERR_START_TIMEOUT', message);
    this.name = 'StartTimeoutError';
  }
}
