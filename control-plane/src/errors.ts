// The control plane's one error base. Each area (api, actuator, autoscaler, collector,
// controllers, runtime) keeps its own subclasses and codes in its errors.ts, all built on this,
// so a caller can catch any control-plane error and branch on `code`, never on messages.
import { CodedError } from '@matrixinfer/schemas';

/** Base of every control-plane error: a stable `MI_ERR_…` code and an optional cause. */
export class ControlPlaneError extends CodedError {
  override name: string = 'ControlPlaneError';
}
