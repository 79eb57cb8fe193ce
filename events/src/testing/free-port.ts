// A free TCP port for tests that must name one up front (a child's --port flag): asked of the
// kernel with port 0, then released. Racy only against other processes binding in between.
import { createServer } from 'node:net';

/** A free TCP port on `host` (default 127.0.0.1). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, host, () => resolve()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
