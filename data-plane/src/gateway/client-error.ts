// Answers connections the HTTP parser refused (server 'clientError'): the same OpenAI error body
// as every other gateway error instead of Node's bodyless default, then the socket is closed.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, malformedHttp } from './errors.js';

/** The bytes of a complete `Connection: close` response for a parser error code. */
export function clientErrorResponse(parserCode: string | undefined): string {
  const err = malformedHttp(parserCode);
  const payload = errorBody(err);
  return `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\nconnection: close\r\n\r\n${payload}`;
}

/** Server 'clientError' listener: answers (unless a response already began or the peer reset) and closes. */
export function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // Node's own default checks the same internal field: a response whose head went out cannot get another.
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (err.code !== 'ECONNRESET' && socket.writable && inFlight?.headersSent !== true) socket.write(clientErrorResponse(err.code));
  socket.destroy();
}
