// Typed errors of the gateway. Each carries a stable `code` (callers branch on it) and the HTTP
// status plus OpenAI error `type` it maps to, so the proxy renders every failure the same way.
import type { ServerResponse } from 'node:http';

/** Stable codes of gateway errors. */
export type GatewayErrorCode =
  | 'MI_ERR_BODY_TOO_LARGE'
  | 'MI_ERR_BAD_REQUEST'
  | 'MI_ERR_MALFORMED_HTTP'
  | 'MI_ERR_ROUTE_NOT_FOUND'
  | 'MI_ERR_NO_RULE_MATCH'
  | 'MI_ERR_NO_ENDPOINT'
  | 'MI_ERR_MODEL_STARTING'
  | 'MI_ERR_ADAPTER_NOT_LOADED'
  | 'MI_ERR_HOLD_QUEUE_FULL'
  | 'MI_ERR_SHED'
  | 'MI_ERR_RATE_LIMITED'
  | 'MI_ERR_UNAUTHORIZED'
  | 'MI_ERR_FORBIDDEN'
  | 'MI_ERR_KEY_RATE_LIMITED'
  | 'MI_ERR_UPSTREAM'
  | 'MI_ERR_UPSTREAM_TIMEOUT'
  | 'MI_ERR_UPSTREAM_STALLED'
  | 'MI_ERR_NOT_FOUND'
  | 'MI_ERR_CONFIG'
  | 'MI_ERR_PD_UNSUPPORTED'
  | 'MI_ERR_ENGINE_UNSUPPORTED';

/** Base of every gateway error: HTTP status, OpenAI error type and param travel with it. */
export class GatewayError extends Error {
  override readonly name: string = 'GatewayError';
  readonly code: GatewayErrorCode;
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  /** Seconds a client should wait before retrying (429, and 503 while a model starts). */
  readonly retryAfterS?: number;
  /** The body's `code` where OpenAI names one (`invalid_api_key`); else the HTTP status, as vLLM answers. */
  readonly openaiCode?: string;
  /** Extra response headers (WWW-Authenticate, x-ratelimit-*). */
  readonly headers?: Readonly<Record<string, string>>;

  constructor(
    code: GatewayErrorCode,
    status: number,
    type: string,
    message: string,
    opts: { param?: string | null; retryAfterS?: number; cause?: unknown; openaiCode?: string; headers?: Record<string, string> } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.status = status;
    this.type = type;
    this.param = opts.param ?? null;
    if (opts.retryAfterS !== undefined) this.retryAfterS = opts.retryAfterS;
    if (opts.openaiCode !== undefined) this.openaiCode = opts.openaiCode;
    if (opts.headers !== undefined) this.headers = opts.headers;
  }
}

/** 400: body is not JSON, not an object, or lacks a string `model`. */
export function badRequest(message: string, param: string | null = null): GatewayError {
  return new GatewayError('MI_ERR_BAD_REQUEST', 400, 'invalid_request_error', message, { param });
}

/** 413: body over the configured cap. */
export function bodyTooLarge(limit: number): GatewayError {
  return new GatewayError('MI_ERR_BODY_TOO_LARGE', 413, 'invalid_request_error', `request body exceeds ${limit} bytes`);
}

/** 404: no routing entry for the model name (the wording vLLM uses). */
export function routeNotFound(model: string): GatewayError {
  return new GatewayError('MI_ERR_ROUTE_NOT_FOUND', 404, 'NotFoundError', `The model \`${model}\` does not exist.`, {
    param: 'model',
  });
}

/** 404: the entry exists but no rule matches this request. */
export function noRuleMatch(model: string): GatewayError {
  return new GatewayError('MI_ERR_NO_RULE_MATCH', 404, 'NotFoundError', `no routing rule of model \`${model}\` matches this request`, {
    param: 'model',
  });
}

/** 503: the chosen ModelServer has no ready endpoint (or the scheduler filtered all). */
export function noEndpoint(model: string, server: string): GatewayError {
  return new GatewayError('MI_ERR_NO_ENDPOINT', 503, 'ServiceUnavailableError', `no ready endpoint for model \`${model}\` (ModelServer ${server})`);
}

/** 503: the request was held for a model with no ready replica and the wait expired. */
export function modelStarting(model: string, waitedMs: number, retryAfterS: number): GatewayError {
  return new GatewayError(
    'MI_ERR_MODEL_STARTING',
    503,
    'ServiceUnavailableError',
    `model \`${model}\` has no ready replica yet: it is starting (scale from zero); waited ${waitedMs} ms, retry later`,
    { retryAfterS },
  );
}

/** 503: the request was held for a LoRA adapter no ready replica has loaded, and the wait expired. */
export function adapterNotLoaded(adapter: string, waitedMs: number, retryAfterS: number): GatewayError {
  return new GatewayError(
    'MI_ERR_ADAPTER_NOT_LOADED',
    503,
    'ServiceUnavailableError',
    `LoRA adapter \`${adapter}\` is not loaded on any ready replica yet; waited ${waitedMs} ms, retry later`,
    { retryAfterS },
  );
}

/** 429 at once: the bounded queue of requests held for a starting model is full. */
export function holdQueueFull(model: string, max: number, retryAfterS: number): GatewayError {
  return new GatewayError(
    'MI_ERR_HOLD_QUEUE_FULL',
    429,
    'rate_limit_error',
    `model \`${model}\` has no ready replica yet: it is starting (scale from zero) and ${max} requests already wait for it; retry later`,
    { retryAfterS },
  );
}

/** 429: a held request of a lower priority band was shed to make room for a higher one. */
export function shedForPriority(model: string, band: string, retryAfterS: number): GatewayError {
  return new GatewayError('MI_ERR_SHED', 429, 'rate_limit_error', `model \`${model}\` has no ready replica yet and its queue is full: this ${band}-priority request was shed for a higher-priority one; retry later`, { retryAfterS });
}

/** 400: the x-mi-priority header names no band. */
export function badPriority(value: string): GatewayError {
  return new GatewayError('MI_ERR_BAD_REQUEST', 400, 'invalid_request_error', `x-mi-priority must be one of high, normal, low (got "${value}")`, { param: 'x-mi-priority' });
}

/** 429: token rate limit of the model's route exhausted. */
export function rateLimited(model: string, retryAfterS: number): GatewayError {
  return new GatewayError('MI_ERR_RATE_LIMITED', 429, 'rate_limit_error', `token rate limit of model \`${model}\` exceeded`, {
    retryAfterS,
  });
}

const AUTH_MESSAGES = {
  missing: "You didn't provide an API key: send it as `Authorization: Bearer <key>`.",
  unknown: 'Incorrect API key provided.',
  expired: 'The API key has expired.',
} as const;
// RFC 6750: a 401 names the scheme it wants.
const BEARER_CHALLENGE = { 'www-authenticate': 'Bearer realm="matrixinfer"' };

/** 401 (OpenAI's shape): no key, an unknown one, or an expired one. The key is never echoed. */
export function invalidApiKey(reason: keyof typeof AUTH_MESSAGES): GatewayError {
  return new GatewayError('MI_ERR_UNAUTHORIZED', 401, 'invalid_request_error', AUTH_MESSAGES[reason], { openaiCode: 'invalid_api_key', headers: BEARER_CHALLENGE });
}

/** 401 of an admin endpoint: the admin token (or an admin key) is needed. */
export function adminUnauthorized(): GatewayError {
  return new GatewayError('MI_ERR_UNAUTHORIZED', 401, 'invalid_request_error', 'this endpoint needs the admin token (or an admin key) as `Authorization: Bearer <token>`', { openaiCode: 'invalid_api_key', headers: BEARER_CHALLENGE });
}

/** 403 (OpenAI answers a model outside a project's access with `model_not_found`): the key's scope excludes the model. */
export function modelNotAllowed(model: string, keyId: string): GatewayError {
  return new GatewayError('MI_ERR_FORBIDDEN', 403, 'invalid_request_error', `API key \`${keyId}\` does not have access to model \`${model}\``, { param: 'model', openaiCode: 'model_not_found' });
}

/** 429 (OpenAI's shape: type `requests` or `tokens`, code `rate_limit_exceeded`): the key's rpm or tpm is spent. */
export function keyRateLimited(keyId: string, limit: 'requests' | 'tokens', retryAfterS: number, headers: Record<string, string>): GatewayError {
  const what = limit === 'requests' ? 'requests per minute' : 'tokens per minute';
  return new GatewayError('MI_ERR_KEY_RATE_LIMITED', 429, limit, `Rate limit reached for API key \`${keyId}\` on ${what}; retry after ${retryAfterS} s`, { retryAfterS, openaiCode: 'rate_limit_exceeded', headers });
}

/** 502: every attempt failed to connect or answered 5xx. */
export function upstreamFailed(message: string, cause?: unknown): GatewayError {
  return new GatewayError('MI_ERR_UPSTREAM', 502, 'upstream_error', message, { cause });
}

/** 504: the ModelServer's timeout expired before the upstream answered. */
export function upstreamTimeout(timeoutMs: number): GatewayError {
  return new GatewayError('MI_ERR_UPSTREAM_TIMEOUT', 504, 'timeout_error', `upstream did not answer within ${timeoutMs} ms`);
}

/** 504: the engine sent no byte for the stream-idle timeout (and no other endpoint took over). */
export function upstreamStalled(endpoint: string, idleMs: number): GatewayError {
  return new GatewayError('MI_ERR_UPSTREAM_STALLED', 504, 'timeout_error', `upstream ${endpoint} sent nothing for ${idleMs} ms (stream idle timeout)`);
}

/** The SSE events that end a stream the engine stopped sending mid-way. */
export function streamStalledEvents(idleMs: number): Buffer {
  const error = { error: { message: `the engine sent nothing for ${idleMs} ms: the stream was ended here`, type: 'timeout_error', code: 'stream_idle_timeout', param: null } };
  return Buffer.from(`data: ${JSON.stringify(error)}\n\ndata: [DONE]\n\n`);
}

/**
 * A request the HTTP parser refused (Node's `clientError` codes): 431 for headers over the
 * limit, 408 when the headers did not arrive in time, 413 for chunk extensions over the limit,
 * 400 for everything else that is not HTTP/1.1.
 */
export function malformedHttp(parserCode: string | undefined): GatewayError {
  const [status, message] =
    parserCode === 'HPE_HEADER_OVERFLOW' ? [431, 'request headers are too large']
    : parserCode === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'the request did not arrive in time']
    : parserCode === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? [413, 'chunk extensions are too large']
    : [400, `malformed HTTP request${parserCode ? ` (${parserCode})` : ''}`];
  return new GatewayError('MI_ERR_MALFORMED_HTTP', status, 'invalid_request_error', message);
}

/** 404 for paths the gateway does not serve. */
export function pathNotFound(path: string): GatewayError {
  return new GatewayError('MI_ERR_NOT_FOUND', 404, 'NotFoundError', `no such path ${path}`);
}

/** 501: the ModelServer's engine family has no gateway adapter (an engine newer than this gateway). */
export function engineUnsupported(server: string, engine: string): GatewayError {
  return new GatewayError('MI_ERR_ENGINE_UNSUPPORTED', 501, 'NotImplementedError', `ModelServer ${server}: this gateway has no adapter for engine ${engine}`);
}

/** Bad start-up configuration (thrown by factories, never by the request path). */
export function configError(message: string): GatewayError {
  return new GatewayError('MI_ERR_CONFIG', 500, 'config_error', message);
}

/** The OpenAI error body for an error: {"error":{message,type,param,code}}. */
export function errorBody(err: GatewayError): string {
  return JSON.stringify({ error: { message: err.message, type: err.type, param: err.param, code: err.openaiCode ?? err.status } });
}

/** Answers `err` in the OpenAI error shape with the gateway's headers (status line not yet sent). */
export function sendGatewayError(res: ServerResponse, err: GatewayError, requestId: string, routeLabel?: string): void {
  const payload = errorBody(err);
  res.statusCode = err.status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(payload));
  res.setHeader('x-request-id', requestId);
  if (routeLabel !== undefined) res.setHeader('x-mi-route', routeLabel);
  if (err.retryAfterS !== undefined) res.setHeader('retry-after', String(err.retryAfterS));
  if (err.headers !== undefined) for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  res.end(payload);
}
