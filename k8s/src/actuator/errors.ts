// Typed errors of the Kubernetes actuator, the scale applier and the PodMetrics source, on the control plane's base so
// `mi-k8s` maps them to exit codes like every other command. Callers branch on `code`.
import { ControlPlaneError } from '@matrixinfer/control-plane';
import { codedErrors, codedFamily } from '@matrixinfer/schemas';

/** Stable codes of Kubernetes actuator errors. */
export const K8S_ACTUATOR_ERROR_CODES = {
  /** An option of startK8sActuator / startScaleApplier is out of range. */
  invalidOption: 'MI_ERR_K8S_ACTUATOR_INVALID_OPTION',
  /** The API server refused a create/delete/patch for a reason other than 404/409. */
  apiRequest: 'MI_ERR_K8S_ACTUATOR_API',
} as const;

/** Base of every Kubernetes actuator error. */
export const K8sActuatorError = codedFamily(ControlPlaneError, 'K8sActuatorError', K8S_ACTUATOR_ERROR_CODES);

/** The K8sActuatorError family, one class per stable code; `instanceof` each or branch on `code`. */
export const { InvalidK8sActuatorOptionError, K8sApiRequestError } = codedErrors(K8sActuatorError, {
  /** An option of startK8sActuator / startScaleApplier / podMetricsSource is out of range (fails at start-up). */
  InvalidK8sActuatorOptionError: K8S_ACTUATOR_ERROR_CODES.invalidOption,
  /** The API server refused a request for a reason the caller does not handle itself. */
  K8sApiRequestError: K8S_ACTUATOR_ERROR_CODES.apiRequest,
});

/** HTTP status of a @kubernetes/client-node ApiException (or of a plain `{ code }`), else undefined. */
export function apiStatusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}
