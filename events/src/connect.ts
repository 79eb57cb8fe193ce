// Connecting to NATS: one place that knows the URL default, credentials, TLS, the reconnect
// policy (forever, with capped exponential backoff and jitter) and the message a person sees
// when no server is there.
import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'winston';
import { NatsUnavailableError } from './errors.js';
import { natsAuthFromEnv, type NatsClientAuth } from './nats-credentials.js';

/** Default server URL when neither the option nor `NATS_URL` is set. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export interface ConnectNatsOptions {
  /** Server URL(s); default env `NATS_URL`, else nats://127.0.0.1:4222. Comma-separated allowed. */
  url?: string;
  /** Path to a `.creds` file (JWT + nkey seed). */
  credsFile?: string;
  user?: string;
  pass?: string;
  token?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** Inbox prefix (a user whose subscribe permission covers only `<prefix>.>` needs it). */
  inboxPrefix?: string;
  /**
   * Credentials and CA; default from the environment (MI_NATS_AUTH_FILE, else MI_NATS_USER /
   * MI_NATS_PASSWORD / MI_NATS_CA, see nats-credentials.ts). user/pass/tls options win over it.
   */
  auth?: NatsClientAuth;
  /** Client name shown in the server's monitoring pages (e.g. `mi-gateway`). */
  name: string;
  logger?: Logger;
  /** First reconnect delay in ms (doubles per failed round up to `maxReconnectDelayMs`); default 250. */
  reconnectTimeWaitMs?: number;
  /** Cap of the reconnect delay; default 5000. */
  maxReconnectDelayMs?: number;
  /** Upper bound of the random delay added to each reconnect wait; default 250. */
  reconnectJitterMs?: number;
  /** Handshake timeout of the first connect in ms; default 5000. */
  timeoutMs?: number;
  /** Randomness for jitter (tests pass a seeded one); default Math.random. */
  rng?: () => number;
  /** Environment to read NATS_URL from; default process.env. */
  env?: Record<string, string | undefined>;
  /**
   * How long the first connect keeps retrying a server that is not there yet, in ms (backoff as
   * for reconnects); default 0: fail at once. Refused credentials are never retried.
   */
  firstConnectWaitMs?: number;
  /** Clock of the first-connect wait; default Date.now. */
  now?: () => number;
}

/** The URL connectNats will use: the option, else env NATS_URL, else the default. */
export function resolveNatsUrl(url?: string, env: Record<string, string | undefined> = process.env): string {
  const v = url ?? env.NATS_URL;
  return v !== undefined && v.trim() !== '' ? v.trim() : DEFAULT_NATS_URL;
}

/**
 * Capped exponential backoff with jitter: attempt n (0-based) waits min(cap, base*2^n) + U(0, jitter).
 * Pure, so the policy can be tested without a server.
 */
export function reconnectDelayMs(attempt: number, baseMs: number, capMs: number, jitterMs: number, rng: () => number): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp + rng() * jitterMs);
}

/** nats.js options for a connect, plus the hook that restarts the backoff after a reconnect. */
export interface BuiltConnectionOptions {
  options: ConnectionOptions;
  resetBackoff: () => void;
}

/** Builds the nats.js connection options for `opts` (exported for tests and diagnostics). */
export function buildConnectionOptions(opts: ConnectNatsOptions): BuiltConnectionOptions {
  const url = resolveNatsUrl(opts.url, opts.env);
  const base = opts.reconnectTimeWaitMs ?? 250;
  const cap = opts.maxReconnectDelayMs ?? 5000;
  const jitter = opts.reconnectJitterMs ?? 250;
  const rng = opts.rng ?? Math.random;
  let attempt = 0;
  const co: ConnectionOptions = {
    servers: url.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnect: true,
    waitOnFirstConnect: false,
    reconnectTimeWait: base,
    reconnectJitter: jitter,
    // Called once per failed round over the server list; grows the wait so a long outage
    // does not hammer the server, and is reset by the status loop on reconnect.
    reconnectDelayHandler: () => reconnectDelayMs(attempt++, base, cap, jitter, rng),
    timeout: opts.timeoutMs ?? 5000,
  };
  const auth = opts.auth ?? natsAuthFromEnv(opts.env ?? process.env);
  if (auth.user !== undefined) co.user = auth.user;
  if (auth.password !== undefined) co.pass = auth.password;
  if (auth.caFile !== undefined) co.tls = { caFile: auth.caFile };
  const inboxPrefix = opts.inboxPrefix ?? auth.inboxPrefix;
  if (inboxPrefix !== undefined) co.inboxPrefix = inboxPrefix;
  if (opts.credsFile) co.authenticator = credsAuthenticator(readFileSync(opts.credsFile));
  if (opts.user !== undefined) co.user = opts.user;
  if (opts.pass !== undefined) co.pass = opts.pass;
  if (opts.token !== undefined) co.token = opts.token;
  if (opts.tls) co.tls = { ...opts.tls };
  return {
    options: co,
    resetBackoff: () => {
      attempt = 0;
    },
  };
}

/** What a person reads when the first connect fails: the URL, the cause and the fix for that cause. */
export function unavailableMessage(url: string, cause: unknown): string {
  const why = cause instanceof Error ? cause.message : String(cause);
  if (/authorization|authentication/i.test(why)) {
    return (
      `NATS at ${url} refused the credentials (${why}). On the machine of \`mi up\`, run from its directory ` +
      `(or set MI_DATA_DIR to its --data-dir): its admin credentials are used by themselves. ` +
      `Otherwise set MI_NATS_AUTH_FILE, or MI_NATS_USER and MI_NATS_PASSWORD.`
    );
  }
  if (/certificate|self.signed|TLS|SSL/i.test(why)) {
    return `TLS with NATS at ${url} failed (${why}). Set MI_NATS_CA to the PEM of the CA that signed the server's certificate (mi up: <data-dir>/secrets/tls/ca.pem).`;
  }
  return (
    `cannot connect to NATS at ${url} (${why}). ` +
    `Start a server with JetStream (\`nats-server -js\`, or \`npm start\` which starts one), ` +
    `or set NATS_URL (or --nats-url) to a reachable server, e.g. NATS_URL=nats://host:4222.`
  );
}

/**
 * Connects to NATS; reconnects forever after the first success. Throws NatsUnavailableError
 * (naming the URL and the fix) when the first connect fails. Logs status changes to `logger`.
 */
export async function connectNats(opts: ConnectNatsOptions): Promise<NatsConnection> {
  const url = resolveNatsUrl(opts.url, opts.env);
  const { options: co, resetBackoff } = buildConnectionOptions(opts);
  const log = opts.logger?.child({ component: 'nats', client: opts.name });
  const now = opts.now ?? Date.now;
  const deadline = now() + (opts.firstConnectWaitMs ?? 0);
  let nc: NatsConnection;
  for (let attempt = 0; ; attempt++) {
    try {
      nc = await connect(co);
      break;
    } catch (err) {
      const delay = reconnectDelayMs(attempt, opts.reconnectTimeWaitMs ?? 250, opts.maxReconnectDelayMs ?? 5000, opts.reconnectJitterMs ?? 250, opts.rng ?? Math.random);
      // Wrong credentials do not get better by waiting.
      if (/authorization|authentication/i.test(String((err as Error)?.message)) || now() + delay > deadline) {
        throw new NatsUnavailableError(url, unavailableMessage(url, err), { cause: err });
      }
      log?.warn('NATS not reachable yet; waiting for it', { url, error: (err as Error)?.message, retryInMs: delay });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  void watchStatus(nc, resetBackoff, log);
  log?.info('connected to NATS', { server: nc.getServer() });
  return nc;
}

async function watchStatus(nc: NatsConnection, resetBackoff: () => void, log: Logger | undefined): Promise<void> {
  for await (const s of nc.status()) {
    switch (s.type) {
      case 'disconnect':
        log?.warn('disconnected from NATS; reconnecting', { server: s.server });
        break;
      case 'reconnecting':
        log?.debug('reconnecting to NATS');
        break;
      case 'reconnect':
        resetBackoff();
        log?.info('reconnected to NATS', { server: s.server });
        break;
      case 'error':
        log?.error('NATS async error', { error: s.error.message });
        break;
      case 'staleConnection':
        log?.warn('NATS connection is stale; forcing a reconnect');
        break;
      case 'slowConsumer':
        log?.warn('slow NATS consumer; messages may be dropped', { subject: s.sub.getSubject(), pending: s.pending });
        break;
      case 'ldm':
        log?.warn('NATS server entered lame duck mode', { server: s.server });
        break;
      default:
        break;
    }
  }
}
