// Typed errors of the engine simulator. Callers branch on `code`, never on the message.
import { CodedError } from '@matrixinfer/schemas';

/** Base of every simulator error. */
export class SimError extends CodedError {
  override name: string = 'SimError';
}

/** Options given to the simulator are invalid (bad flag value, unknown profile). */
export class SimConfigError extends SimError {
  /** Every problem found, each as `<option>: <reason>`. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('MI_ERR_SIM_CONFIG', `invalid simulator options: ${problems.join('; ')}`);
    this.name = 'SimConfigError';
    this.problems = problems;
  }
}

/** A request can never be served by this engine (e.g. needs more KV blocks than exist). */
export class SimRequestError extends SimError {
  constructor(message: string) {
    super('MI_ERR_SIM_REQUEST', message);
    this.name = 'SimRequestError';
  }
}
