// Public entry of the Kubernetes actuator (wired into `mi controller` by the CLI).
export { startK8sActuator, type K8sActuator, type K8sActuatorOptions } from './actuator.js';
export { kubeObjects, type KubeObjects } from './kube.js';
export { planObjects, type DesiredSet, type ObjectPlan } from './plan.js';
export { renderPod, renderGroupService, entryAddress, ACTUATOR_ANNOTATIONS } from './pods.js';
export { observePod } from './observe.js';
export { InvalidK8sActuatorOptionError, K8sActuatorError, K8sApiRequestError, K8S_ACTUATOR_ERROR_CODES } from './errors.js';
