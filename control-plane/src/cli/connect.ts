// Opens NATS for one CLI command and always closes it, so `mi` exits as soon as it is done.
import type { NatsConnection } from '@nats-io/transport-node';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { connectNats, resolveNatsUrl } from '@matrixinfer/events';
import { SubmitError } from '../api/errors.js';
import { createNatsResourceService } from '../api/nats-backend.js';
import type { ResourceService } from '../api/service.js';
import type { CliIO, GlobalOptions } from './io.js';
import { cliNatsTarget } from './nats-auth.js';
import { storeFailure } from './store-errors.js';

function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

/** Runs `fn` with a NATS connection (URL from --nats-url, NATS_URL, or the default); closes it after. */
export async function withNats<T>(globals: GlobalOptions, io: CliIO, fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const target = cliNatsTarget(globals.natsUrl, io.env);
  const nc = await connectNats({ url: target.url, auth: target.auth, name: 'mi-cli', env: io.env, timeoutMs: 3000 });
  try {
    return await fn(nc);
  } catch (err) {
    if (isStreamNotFound(err) || isStreamNotFound((err as { cause?: unknown }).cause)) {
      throw new SubmitError('MI_ERR_NOT_FOUND', `the MatrixInfer streams do not exist on ${resolveNatsUrl(target.url, io.env)} yet: nothing was applied there (start with \`mi up\` or \`mi apply\`)`, { cause: err });
    }
    throw storeFailure(err, resolveNatsUrl(target.url, io.env)) ?? err;
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
