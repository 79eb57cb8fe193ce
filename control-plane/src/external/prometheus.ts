// The one HTTP call of the external-metrics poller: an instant query against Prometheus'
// HTTP API (`GET <base>/api/v1/query?query=…&time=…`). Never throws: a failure is an outcome
// with a code and a message, which the poller publishes as is.
import { EXTERNAL_ERROR_CODES } from './errors.js';
import { interpretQueryResponse, type QueryOutcome } from './result.js';

/** `<base>/api/v1/query` with the query and the evaluation time (seconds, ms precision); a base path prefix is kept. */
export function queryUrl(baseUrl: string, query: string, timeMs: number): URL {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const url = new URL('api/v1/query', base);
  url.searchParams.set('query', query);
  url.searchParams.set('time', (timeMs / 1000).toFixed(3));
  return url;
}

function causeText(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.message) return cause.message;
  return (err as Error).message ?? String(err);
}

/** Evaluates `query` at `timeMs`; resolves to its value or to why there is none (unreachable, timeout, HTTP or query error, not numeric). */
export async function queryPrometheus(baseUrl: string, query: string, timeMs: number, timeoutMs: number): Promise<QueryOutcome> {
  let res: Response;
  try {
    res = await fetch(queryUrl(baseUrl, query, timeMs), { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return { error: { code: EXTERNAL_ERROR_CODES.timeout, message: `Prometheus at ${baseUrl} did not answer within ${timeoutMs} ms` } };
    return { error: { code: EXTERNAL_ERROR_CODES.unreachable, message: `cannot reach Prometheus at ${baseUrl}: ${causeText(err)}` } };
  }
  let body: string;
  try {
    body = await res.text();
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return { error: { code: EXTERNAL_ERROR_CODES.timeout, message: `Prometheus at ${baseUrl} did not finish its answer within ${timeoutMs} ms` } };
    return { error: { code: EXTERNAL_ERROR_CODES.unreachable, message: `the answer of Prometheus at ${baseUrl} broke off: ${causeText(err)}` } };
  }
  return interpretQueryResponse(res.status, body);
}
