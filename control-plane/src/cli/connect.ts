// Opens NATS for one CLI command and always closes it, so `mi` exits as soon as it is done.
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from '@matrixinfer/events';
import { createNatsResourceService } from '../api/nats-backend.js';
import type { ResourceService } from '../api/service.js';
import type { CliIO, GlobalOptions } from './io.js';

/** Runs `fn` with a NATS connection (URL from --nats-url, NATS_URL, or the default); closes it after. */
export async function withNats<T>(globals: GlobalOptions, io: CliIO, fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connectNats({ url: globals.natsUrl, name: 'mi-cli', env: io.env, timeoutMs: 3000 });
  try {
    return await fn(nc);
  } finally {
    await nc.close();
  }
}

/** Runs `fn` with the ResourceService over NATS (`ensure`: create the streams first, for writes). */
export function withService<T>(
  globals: GlobalOptions,
  io: CliIO,
  fn: (svc: ResourceService, nc: NatsConnection) => Promise<T>,
  opts: { ensure?: boolean } = {},
): Promise<T> {
  return withNats(globals, io, async (nc) => fn(await createNatsResourceService(nc, 'mi-cli', opts), nc));
}
