// Typed errors of the autoscaler. Callers branch on `code`, never on messages.

import { ControlPlaneError } from '../errors.js';

/** Base of every autoscaler error. */
export class AutoscalerError extends ControlPlaneError {
  override name = 'AutoscalerError';
}

/** An AutoscalingPolicy or binding the autoscaler cannot use; `issues` lists every problem with its path. */
export class InvalidScalingPolicyError extends AutoscalerError {
  override name = 'InvalidScalingPolicyError';
  constructor(readonly issues: readonly { path: string; message: string }[], options?: { cause?: unknown }) {
    super('MI_ERR_AUTOSCALER_INVALID_POLICY', issues.map((i) => `${i.path}: ${i.message}`).join('; '), options);
  }
}
