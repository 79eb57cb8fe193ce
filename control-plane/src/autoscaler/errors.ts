// Typed errors of the autoscaler. Callers branch on `code`, never on messages.

/** Base of every autoscaler error. */
export class AutoscalerError extends Error {
  override name = 'AutoscalerError';
  constructor(readonly code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An AutoscalingPolicy or binding the autoscaler cannot use; `issues` lists every problem with its path. */
export class InvalidScalingPolicyError extends AutoscalerError {
  override name = 'InvalidScalingPolicyError';
  constructor(readonly issues: readonly { path: string; message: string }[], options?: { cause?: unknown }) {
    super('MI_ERR_AUTOSCALER_INVALID_POLICY', issues.map((i) => `${i.path}: ${i.message}`).join('; '), options);
  }
}
