// Typed errors of the endpoint controller. Callers branch on `code`.
import { codedError } from '@matrixinfer/events';
import { ControllerError } from '../errors.js';

/** An option of startEndpointController is invalid (bad health policy, tick). */
export const InvalidEndpointControllerOptionError = codedError(ControllerError, 'InvalidEndpointControllerOptionError', 'MI_ERR_ENDPOINT_CONTROLLER_INVALID_OPTION');
