// Is something already listening on a loopback port? Used to tell a person "port busy" up front
// instead of surfacing a child's bind error later.
import { connect } from 'node:net';

/** True when a TCP connect to host:port succeeds within `timeoutMs`. */
export function isPortInUse(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const finish = (inUse: boolean) => {
      socket.destroy();
      resolve(inUse);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** Polls `check` every `intervalMs` until it returns true or `deadlineMs` (epoch) passes. */
export async function pollUntil(check: () => Promise<boolean>, deadlineMs: number, intervalMs = 100): Promise<boolean> {
  while (Date.now() < deadlineMs) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return check();
}
