// Reading Prometheus' answer to an instant query (GET /api/v1/query), pure and table-tested.
// Success: `{ status: "success", data: { resultType, result } }` where a scalar is
// `[<unix time>, "<value>"]` and a vector `[{ metric: {...}, value: [<unix time>, "<value>"] }, ...]`.
// Failure: `{ status: "error", errorType, error }` with HTTP 400 (bad parameters / PromQL),
// 422 (cannot be executed) or 503 (timed out or aborted). Values are strings, "NaN", "+Inf", "-Inf".
import type { ExternalQueryError } from '@matrixinfer/events';
import { EXTERNAL_ERROR_CODES } from './errors.js';

/** The value of a query (the target's total), or why there is none. */
export type QueryOutcome = { value: number } | { error: ExternalQueryError };

function fail(code: string, message: string): QueryOutcome {
  return { error: { code, message } };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// A sample value as Prometheus writes it ("1.5", "NaN", "+Inf"); undefined when not one.
function sampleValue(pair: unknown): number | undefined {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[1] !== 'string') return undefined;
  const text = pair[1].trim();
  if (/^[+-]?inf$/i.test(text)) return text.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (text === '') return undefined;
  const n = Number(text);
  return Number.isNaN(n) && text.toLowerCase() !== 'nan' ? undefined : n;
}

function shortBody(body: string): string {
  const t = body.trim().replace(/\s+/g, ' ');
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

/**
 * The outcome of one /api/v1/query answer (`httpStatus`, body text): a scalar's value or the sum
 * of an instant vector's values. An empty vector is missing data (an error), not zero; a string or
 * range vector, or a NaN/±Inf total, is not numeric.
 */
export function interpretQueryResponse(httpStatus: number, body: string): QueryOutcome {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    if (httpStatus < 200 || httpStatus > 299) return fail(EXTERNAL_ERROR_CODES.httpStatus, `Prometheus answered HTTP ${httpStatus}: ${shortBody(body) || '(empty body)'}`);
    return fail(EXTERNAL_ERROR_CODES.badResponse, `the answer is not JSON: ${shortBody(body) || '(empty body)'}`);
  }
  if (isObject(v) && v.status === 'error') {
    const type = typeof v.errorType === 'string' && v.errorType !== '' ? `${v.errorType}: ` : '';
    return fail(EXTERNAL_ERROR_CODES.queryFailed, `Prometheus refused the query (HTTP ${httpStatus}): ${type}${typeof v.error === 'string' ? v.error : 'no error message'}`);
  }
  if (httpStatus < 200 || httpStatus > 299) return fail(EXTERNAL_ERROR_CODES.httpStatus, `Prometheus answered HTTP ${httpStatus}: ${shortBody(body)}`);
  if (!isObject(v) || v.status !== 'success' || !isObject(v.data)) return fail(EXTERNAL_ERROR_CODES.badResponse, `not an /api/v1/query answer: ${shortBody(body)}`);
  const { resultType, result } = v.data;
  let total: number;
  if (resultType === 'scalar') {
    const n = sampleValue(result);
    if (n === undefined) return fail(EXTERNAL_ERROR_CODES.badResponse, `a scalar result without a value: ${shortBody(body)}`);
    total = n;
  } else if (resultType === 'vector') {
    if (!Array.isArray(result)) return fail(EXTERNAL_ERROR_CODES.badResponse, `a vector result that is not a list: ${shortBody(body)}`);
    if (result.length === 0) return fail(EXTERNAL_ERROR_CODES.emptyResult, 'the query returned no series (missing data is not zero; append `or vector(0)` to read it as 0)');
    total = 0;
    for (const s of result) {
      const n = isObject(s) ? sampleValue(s.value) : undefined;
      if (n === undefined) return fail(EXTERNAL_ERROR_CODES.badResponse, `a vector series without a value: ${shortBody(JSON.stringify(s))}`);
      total += n;
    }
  } else {
    return fail(EXTERNAL_ERROR_CODES.notNumeric, `the query returns a ${String(resultType)} (a ${resultType === 'matrix' ? 'range vector' : 'non-number'}); use an expression that gives a scalar or an instant vector`);
  }
  if (!Number.isFinite(total)) return fail(EXTERNAL_ERROR_CODES.notNumeric, `the query result is ${Number.isNaN(total) ? 'NaN' : total > 0 ? '+Inf' : '-Inf'}, not a number to scale on`);
  return { value: total };
}
