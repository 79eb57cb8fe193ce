// Where spans go: `--otlp-endpoint` or the OpenTelemetry environment variables, with the
// OTLP exporter spec's path rules: a signal-specific variable (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
// is used as it is; the base one (OTEL_EXPORTER_OTLP_ENDPOINT) gets `v1/traces` appended.
import { TracingConfigError } from './errors.js';

/** The traces URL to post to, or undefined when tracing export is off. Throws TracingConfigError on a bad URL. */
export function resolveOtlpTracesUrl(flag: string | undefined, env: Record<string, string | undefined>): string | undefined {
  // The flag names the traces URL itself, like the signal-specific variable.
  const exact = nonEmpty(flag) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  if (exact !== undefined) return checked(exact);
  const base = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (base === undefined) return undefined;
  const url = checked(base);
  return url.endsWith('/') ? `${url}v1/traces` : `${url}/v1/traces`;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
}

function checked(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new TracingConfigError(`OTLP endpoint is not a URL: ${v}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TracingConfigError(`OTLP endpoint must be http or https: ${v}`);
  return v;
}
