// Typed errors of the Kubernetes actuator and the scale applier, on the control plane's base so
// `mi-k8s` maps them to exit codes like every other command. Callers branch on `code`.
import { ControlPlaneError } from '@matrixinfer/control-plane';
import { codedError } from '@matrixinfer/schemas';

/** Stable codes of Kubernetes actuator errors. */
export const K8S_ACTUATOR_ERROR_CODES = {
  /** An option of startK8sActuator / startScaleApplier is out of range. */
  invalidOption: 'MI_ERR_K8S_ACTUATOR_INVALID_OPTION',
  /** The API server refused a create/delete/patch for a reason other than 404/409. */
  apiRequest: 'MI_ERR_K8S_ACTUATOR_API',
} as const;

export type K8sActuatorErrorCode = (typeof K8S_ACTUATOR_ERROR_CODES)[keyof typeof K8S_ACTUATOR_ERROR_CODES];

/** Base of every Kubernetes actuator error. */
export class K8sActuatorError extends ControlPlaneError {
  override name = 'K8sActuatorError';
  declare readonly code: K8sActuatorErrorCode;
}

/** An option of startK8sActuator / startScaleApplier is out of range (fails at start-up). */
export const InvalidK8sActuatorOptionError = codedError(K8sActuatorError, 'InvalidK8sActuatorOptionError', K8S_ACTUATOR_ERROR_CODES.invalidOption);
export type InvalidK8sActuatorOptionError = InstanceType<typeof InvalidK8sActuatorOptionError>;

/** The API server refused a request for a reason the caller does not handle itself. */
export const K8sApiRequestError = codedError(K8sActuatorError, 'K8sApiRequestError', K8S_ACTUATOR_ERROR_CODES.apiRequest);
export type K8sApiRequestError = InstanceType<typeof K8sApiRequestError>;

/** HTTP status of a @kubernetes/client-node ApiException (or of a plain `{ code }`), else undefined. */
export function apiStatusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}
