// Small HTTP helpers over node:http: read a JSON body, send JSON/text, and the engines' error bodies.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EngineKind } from '../config.js';

const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Result of reading a request body as JSON. */
export type JsonBody = { ok: true; value: unknown } | { ok: false; message: string };

/** Reads the whole body and parses it as JSON (an empty body is an error). */
export function readJson(req: IncomingMessage): Promise<JsonBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(b);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (tooLarge) return resolve({ ok: false, message: 'Request body too large' });
      const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
      try {
        resolve({ ok: true, value: JSON.parse(text) });
      } catch (err) {
        resolve({ ok: false, message: `JSON decode error: ${(err as Error).message}` });
      }
    });
  });
}

/** Sends `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Sends plain text with `status` (vLLM's LoRA endpoints answer text on success). */
export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** An engine error before it is shaped into vLLM's or SGLang's body. */
export interface EngineErrorSpec {
  status: number;
  message: string;
  type?: string;
  param?: string | null;
}

const VLLM_TYPES: Record<number, string> = {
  400: 'BadRequestError', 401: 'UnauthorizedError', 404: 'NotFoundError', 408: 'RequestTimeoutError',
  422: 'UnprocessableEntityError', 429: 'RateLimitError', 500: 'InternalServerError', 501: 'NotImplementedError',
  503: 'ServiceUnavailableError',
};
const SGLANG_TYPES: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 404: 'NotFound', 408: 'RequestTimeout', 429: 'TooManyRequests',
  500: 'InternalServerError', 503: 'ServiceUnavailable',
};

const TORCHSERVE_TYPES: Record<number, string> = {
  400: 'BadRequestException', 404: 'ModelNotFoundException', 405: 'MethodNotAllowedException', 408: 'RequestTimeoutException',
  413: 'RequestEntityTooLargeException', 429: 'ServiceUnavailableException', 500: 'InternalServerException', 503: 'ServiceUnavailableException',
};

/**
 * The JSON error body the engine returns: vLLM nests it under "error", SGLang keeps it flat,
 * Triton sends {"error": message}, TorchServe {"code", "type", "message"}.
 */
export function errorBody(engine: EngineKind, e: EngineErrorSpec): unknown {
  if (engine === 'triton') return { error: e.message };
  if (engine === 'torchserve') return { code: e.status, type: e.type ?? TORCHSERVE_TYPES[e.status] ?? 'InternalServerException', message: e.message };
  if (engine === 'sglang') {
    return { object: 'error', message: e.message, type: e.type ?? SGLANG_TYPES[e.status] ?? 'InternalServerError', param: e.param ?? null, code: e.status };
  }
  return { error: { message: e.message, type: e.type ?? VLLM_TYPES[e.status] ?? 'InternalServerError', param: e.param ?? null, code: e.status } };
}

/** Sends an engine error with its status and body shape. */
export function sendError(res: ServerResponse, engine: EngineKind, e: EngineErrorSpec): void {
  sendJson(res, e.status, errorBody(engine, e));
}
