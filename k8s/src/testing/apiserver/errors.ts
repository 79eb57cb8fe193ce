// Typed errors of the test API server. ApiStatusError carries the Kubernetes Status the HTTP
// layer sends back; every refusal of a request is one (the cores throw it, handlers map it).
import { CodedError, codedErrors } from '@matrixinfer/schemas';
import type { Status } from './status-types.js';

/** Stable codes of test API server errors. */
export const TEST_APISERVER_ERROR_CODES = {
  /** A request is refused with a Kubernetes Status (404, 409, 422, ...). */
  status: 'MI_ERR_TEST_APISERVER_STATUS',
  /** A CRD file or option given to startTestApiServer is unusable. */
  invalidOption: 'MI_ERR_TEST_APISERVER_INVALID_OPTION',
} as const;

/** Base of every test API server error. */
export class TestApiServerError extends CodedError {
  override name = 'TestApiServerError';
}

/** A refusal carrying the Status object the client sees. */
export class ApiStatusError extends TestApiServerError {
  override name = 'ApiStatusError';
  readonly status: Status;
  constructor(status: Status) {
    super(TEST_APISERVER_ERROR_CODES.status, status.message);
    this.status = status;
  }
}

/** The TestApiServerError family, one class per stable code; `instanceof` each or branch on `code`. */
export const { InvalidTestApiServerOptionError } = codedErrors(TestApiServerError, {
  /** A CRD file or option given to startTestApiServer is unusable (fails at start-up). */
  InvalidTestApiServerOptionError: TEST_APISERVER_ERROR_CODES.invalidOption,
});

