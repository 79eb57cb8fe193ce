// Errors of the install bundle renderer; built on the control plane's base so `mi-k8s` maps
// them to exit codes like every other command (BAD_ARGUMENT → 1, the rest → 5).
import { ControlPlaneError } from '@matrixinfer/control-plane';

/** Stable codes of install errors. */
export const INSTALL_ERROR_CODES = {
  /** A kustomization uses a feature the bundle reader does not implement. */
  unsupported: 'MI_ERR_KUSTOMIZE_UNSUPPORTED',
  /** A kustomization, resource or patch file is missing or malformed, or a patch does not apply. */
  invalid: 'MI_ERR_KUSTOMIZE_INVALID',
  /** A command-line value (--image, --namespace) is malformed. */
  badArgument: 'MI_ERR_BAD_ARGUMENT',
} as const;

/** An error while rendering the install bundle; `code` is one of INSTALL_ERROR_CODES. */
export class InstallError extends ControlPlaneError {
  override name = 'InstallError';
  constructor(code: (typeof INSTALL_ERROR_CODES)[keyof typeof INSTALL_ERROR_CODES], message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
