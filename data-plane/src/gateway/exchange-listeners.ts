// Event listeners and timer callbacks of the Exchange, as shared module functions: the emitter
// (or the timer argument) carries its Exchange, so no closure is created per request. They see
// the Exchange only through ListenerTarget, so this file does not import exchange.ts (no circle).
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the listeners call on the request's Exchange; exchange.ts implements it. */
export interface ListenerTarget {
  onBodyChunk(chunk: Buffer): void;
  onBodyEnd(): void;
  onClose(): void;
  onDrain(): void;
  flush(): void;
  tryNext(): void;
  onTimeout(): void;
}

type Exchange = ListenerTarget;

const EXCHANGE = Symbol('mi.exchange');

/** A request or response that knows the Exchange it belongs to. */
type ExchangeCarrier = { [EXCHANGE]?: Exchange };

function reqOnData(this: ExchangeCarrier, chunk: Buffer): void {
  this[EXCHANGE]!.onBodyChunk(chunk);
}
function reqOnEnd(this: ExchangeCarrier): void {
  this[EXCHANGE]!.onBodyEnd();
}
function resOnClose(this: ExchangeCarrier): void {
  this[EXCHANGE]!.onClose();
}

/** 'drain' of a response: its Exchange resumes the upstream. */
export function resOnDrain(this: ExchangeCarrier): void {
  this[EXCHANGE]!.onDrain();
}
/** nextTick: write the chunks collected this tick. */
export function flushDue(ex: Exchange): void {
  ex.flush();
}
/** Retry interval over: next attempt. */
export function retryDue(ex: Exchange): void {
  ex.tryNext();
}
/** The ModelServer's timeout. */
export function timeoutFired(ex: Exchange): void {
  ex.onTimeout();
}

/** Ties a request/response pair to its Exchange and listens for body data, end and close. */
export function attach(ex: Exchange, req: IncomingMessage, res: ServerResponse): void {
  (req as ExchangeCarrier)[EXCHANGE] = ex;
  (res as ExchangeCarrier)[EXCHANGE] = ex;
  res.on('close', resOnClose);
  req.on('data', reqOnData);
  req.on('end', reqOnEnd);
}
