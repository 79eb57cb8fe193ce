// Where a client finds its NATS credentials: explicit options first, then a credentials file
// named by MI_NATS_AUTH_FILE (what `mi up` gives its children: the password never appears on
// a command line nor in an environment), then MI_NATS_USER / MI_NATS_PASSWORD / MI_NATS_CA
// (external NATS). A file is JSON: { url?, user, password, inboxPrefix?, caFile? }.
import { readFileSync } from 'node:fs';
import { MiEventsError } from './errors.js';

/** Credentials and trust of one NATS client. */
export interface NatsClientAuth {
  /** Server URL the credentials were issued for (files written by `mi up`). */
  url?: string;
  user?: string;
  password?: string;
  /** Inbox prefix the user's subscribe permission allows (default `_INBOX`). */
  inboxPrefix?: string;
  /** CA certificate (PEM) to trust for the server's TLS certificate. */
  caFile?: string;
}

/** The credentials file cannot be read or is not the expected JSON. */
export class NatsCredentialsError extends MiEventsError {
  override readonly name = 'NatsCredentialsError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('MI_ERR_NATS_UNAVAILABLE', message, options);
  }
}

/** Reads a credentials file; throws NatsCredentialsError naming the file when it is unusable. */
export function readNatsAuthFile(file: string, read: (f: string) => string = (f) => readFileSync(f, 'utf8')): NatsClientAuth {
  let v: unknown;
  try {
    v = JSON.parse(read(file));
  } catch (err) {
    throw new NatsCredentialsError(`cannot read NATS credentials file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const o = v as Record<string, unknown>;
  const str = (k: string) => (typeof o?.[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined);
  if (typeof v !== 'object' || v === null || str('user') === undefined || str('password') === undefined) {
    throw new NatsCredentialsError(`NATS credentials file ${file} must hold a JSON object with user and password`);
  }
  return { url: str('url'), user: str('user'), password: str('password'), inboxPrefix: str('inboxPrefix'), caFile: str('caFile') };
}

/** Credentials from the environment: MI_NATS_AUTH_FILE, else MI_NATS_USER/MI_NATS_PASSWORD/MI_NATS_CA; {} when none is set. */
export function natsAuthFromEnv(env: Record<string, string | undefined>, read?: (f: string) => string): NatsClientAuth {
  const file = env.MI_NATS_AUTH_FILE;
  if (file !== undefined && file !== '') return readNatsAuthFile(file, read);
  const auth: NatsClientAuth = {};
  if (env.MI_NATS_USER) auth.user = env.MI_NATS_USER;
  if (env.MI_NATS_PASSWORD) auth.password = env.MI_NATS_PASSWORD;
  if (env.MI_NATS_INBOX_PREFIX) auth.inboxPrefix = env.MI_NATS_INBOX_PREFIX;
  if (env.MI_NATS_CA) auth.caFile = env.MI_NATS_CA;
  return auth;
}
