// Typed errors of the external-metrics poller (PromQL queries against Prometheus). A failed
// query is not thrown past the poller: it becomes a published result `{ error: { code, message } }`,
// so the autoscaler can hold and say why. Callers branch on `code`, never on messages.

import { codedErrors, codedFamily } from '@matrixinfer/events';
import { ControlPlaneError } from '../errors.js';

export const EXTERNAL_ERROR_CODES = {
  notConfigured: 'MI_ERR_EXTERNAL_NOT_CONFIGURED',
  unreachable: 'MI_ERR_EXTERNAL_UNREACHABLE',
  timeout: 'MI_ERR_EXTERNAL_TIMEOUT',
  httpStatus: 'MI_ERR_EXTERNAL_HTTP_STATUS',
  queryFailed: 'MI_ERR_EXTERNAL_QUERY_FAILED',
  badResponse: 'MI_ERR_EXTERNAL_BAD_RESPONSE',
  notNumeric: 'MI_ERR_EXTERNAL_NOT_NUMERIC',
  emptyResult: 'MI_ERR_EXTERNAL_EMPTY_RESULT',
  noSample: 'MI_ERR_EXTERNAL_NO_SAMPLE',
  invalidOption: 'MI_ERR_EXTERNAL_INVALID_OPTION',
} as const;

/** Base of every external-metrics error; `code` is stable. */
export const ExternalMetricsError = codedFamily(ControlPlaneError, 'ExternalMetricsError', EXTERNAL_ERROR_CODES);

/** The ExternalMetricsError family, one class per stable code. */
export const {
  PrometheusNotConfiguredError,
  PrometheusUnreachableError,
  PrometheusTimeoutError,
  PrometheusHttpStatusError,
  QueryFailedError,
  BadQueryResponseError,
  NotNumericResultError,
  EmptyQueryResultError,
  NoExternalSampleError,
  InvalidExternalOptionError,
} = codedErrors(ExternalMetricsError, {
  /** A policy has a query but the control plane has no Prometheus URL (--prometheus-url / MI_PROMETHEUS_URL). */
  PrometheusNotConfiguredError: EXTERNAL_ERROR_CODES.notConfigured,
  /** Prometheus could not be reached (connection refused, DNS, reset). */
  PrometheusUnreachableError: EXTERNAL_ERROR_CODES.unreachable,
  /** The query did not answer within the poller's timeout. */
  PrometheusTimeoutError: EXTERNAL_ERROR_CODES.timeout,
  /** A non-2xx answer without a Prometheus error body (a proxy, a wrong URL). */
  PrometheusHttpStatusError: EXTERNAL_ERROR_CODES.httpStatus,
  /** Prometheus refused or failed the query (`status: "error"`: bad PromQL, execution error). */
  QueryFailedError: EXTERNAL_ERROR_CODES.queryFailed,
  /** The answer is not the JSON shape of /api/v1/query. */
  BadQueryResponseError: EXTERNAL_ERROR_CODES.badResponse,
  /** The result is not a number: a string or range vector, or NaN / ±Inf. */
  NotNumericResultError: EXTERNAL_ERROR_CODES.notNumeric,
  /** An instant vector without any series (missing data, not zero; `or vector(0)` makes it zero). */
  EmptyQueryResultError: EXTERNAL_ERROR_CODES.emptyResult,
  /** The autoscaler has no fresh poller sample for a query (poller down or behind). */
  NoExternalSampleError: EXTERNAL_ERROR_CODES.noSample,
  /** An option of startExternalMetrics is invalid (fails at start-up, loudly). */
  InvalidExternalOptionError: EXTERNAL_ERROR_CODES.invalidOption,
});
