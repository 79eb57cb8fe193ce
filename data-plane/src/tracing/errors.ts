// Typed errors of the gateway's tracing: a bad OTLP configuration fails at start-up.
import { CodedError, codedErrors, codedFamily } from '@matrixinfer/schemas';

/** Stable codes of tracing errors. */
export const TRACING_ERROR_CODES = {
  /** The OTLP endpoint or an exporter option is invalid. */
  config: 'MI_ERR_TRACING_CONFIG',
} as const;

/** Base of every tracing error. */
export const TracingError = codedFamily(CodedError, 'TracingError', TRACING_ERROR_CODES);

/** The TracingError family, one class per stable code. */
export const { TracingConfigError } = codedErrors(TracingError, {
  /** `--otlp-endpoint` / OTEL_EXPORTER_OTLP_* is not an http(s) URL, or a queue/batch size is out of range. */
  TracingConfigError: TRACING_ERROR_CODES.config,
});
