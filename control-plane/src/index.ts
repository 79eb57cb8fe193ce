// Public entry of @matrixinfer/control-plane.
export {};
export { startLocalActuator, type LocalActuator, type LocalActuatorOptions, type ActuatorInstance } from './actuator/actuator.js';
export { planActions, type ActionPlan, type RunningInstance } from './actuator/plan.js';
export { ActuatorError, ACTUATOR_ERROR_CODES } from './actuator/errors.js';
export { startCollector, type Collector, type CollectorOptions, type CollectorStats } from './collector/collector.js';
export { normalizeEngineMetrics, histogramDelta, type EngineMetrics, type Normalized } from './collector/normalize.js';
export { parsePrometheusText, type PromSample } from './collector/prometheus.js';
export { CollectorError, COLLECTOR_ERROR_CODES } from './collector/errors.js';
export { createApiApp, startApiServer, httpStatusFor, type ApiServer, type ApiAppOptions } from './api/server.js';
export { createResourceService, validateManifests, type ResourceService, type ManifestText, type ValidatedDoc } from './api/service.js';
export { createNatsResourceService } from './api/nats-backend.js';
export { InvalidResourcesError, formatProblem, type SubmitProblem } from './api/errors.js';
export { runMi, buildProgram } from './cli/mi.js';
export { startControllers, type StartControllersOptions, expandModel, modelStatus, inferStatus, reconcileInfer, MODEL_DECISION, ControllerError } from './controllers/index.js';
export { startProjector, type StartProjectorOptions, foldProjector, initialProjectorState, projectRoutes, projectStatus, type ProjectorEvent, type ProjectorState } from './projector/index.js';
export { startControlPlane, defaultApiPort, type ControlPlane, type ControlPlaneOptions } from './runtime/control-plane.js';
export { defaultComponents, type ComponentStarter, type RunningComponent } from './runtime/components.js';
export { startUp, curlLine, type UpOptions, type UpHandle } from './runtime/up.js';
