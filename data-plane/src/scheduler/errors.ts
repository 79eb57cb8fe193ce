// Typed errors of the scheduler. Callers branch on `code`, never on the message.
import { CodedError } from '@matrixinfer/schemas';

/** Base of every scheduler error. */
export class SchedulerError extends CodedError {
  override name: string = 'SchedulerError';
}

/** A scheduler configuration is invalid; the previous configuration (if any) stays in force. */
export class SchedulerConfigError extends SchedulerError {
  /** Every problem found, each as `<path>: <reason>`. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    super('MI_ERR_SCHEDULER_CONFIG', `invalid scheduler config: ${problems.join('; ')}`, options);
    this.name = 'SchedulerConfigError';
    this.problems = problems;
  }
}

/** A plugin name was registered twice in one registry. */
export class PluginRegistrationError extends SchedulerError {
  constructor(message: string) {
    super('MI_ERR_SCHEDULER_PLUGIN_DUPLICATE', message);
    this.name = 'PluginRegistrationError';
  }
}

/** A placement message from a peer gateway could not be decoded. */
export class PlacementDecodeError extends SchedulerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MI_ERR_SCHEDULER_PLACEMENT', message, options);
    this.name = 'PlacementDecodeError';
  }
}
