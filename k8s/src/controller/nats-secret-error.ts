// The one error of the NATS Secrets (credentials, TLS) the controller reads and makes.
import { ControlPlaneError } from '@matrixinfer/control-plane';

/** A NATS Secret is unusable (missing keys, unreadable) or could not be made. */
export class NatsSecretError extends ControlPlaneError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MI_ERR_NATS_CREDENTIALS', message, options);
    this.name = 'NatsSecretError';
  }
}
