// Typed errors of `mi download`; the CLI maps codes to exit codes (errors.ts of the control plane).
import { ControlPlaneError } from '../errors.js';

/** A download failed: bad source, the remote refused, or the output directory is unusable. */
export class DownloadError extends ControlPlaneError {
  override name = 'DownloadError';
  constructor(message: string, opts?: { cause?: unknown }) {
    super('MI_ERR_DOWNLOAD', message, opts);
  }
}
