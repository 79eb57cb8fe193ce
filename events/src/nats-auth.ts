// Who may do what on NATS: one user per component with least-privilege subject permissions,
// rendered as the `authorization { users = [...] }` block of a nats-server (2.9) config. Pure:
// the passwords come from the caller's randomness, the text is written by the caller.
import { BUCKETS, SUBJECT_ROOT } from './names.js';

/** A component that connects to NATS. */
export type NatsRole =
  /** `mi` on the same machine: everything (it applies, replays, creates streams). */
  | { kind: 'admin' }
  /** The control plane process (controllers, projector, autoscaler, actuator, collector, API). */
  | { kind: 'control-plane' }
  /** One gateway replica (all its workers share the user). */
  | { kind: 'gateway'; name: string };

/** Subjects a user may publish to and subscribe on (nats-server allow lists). */
export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

/** A nats-server user: name, password and permissions. */
export interface NatsUser {
  user: string;
  password: string;
  permissions: NatsPermissions;
  /** Inbox prefix the client must use (its subscribe permission covers only this prefix). */
  inboxPrefix: string;
}

/** The user name of a role (stable: it appears in the server's monitoring pages and logs). */
export function natsUserName(role: NatsRole): string {
  switch (role.kind) {
    case 'admin':
      return 'mi-admin';
    case 'control-plane':
      return 'mi-control-plane';
    case 'gateway':
      return `mi-gateway-${role.name}`;
    default: {
      const never: never = role;
      throw new TypeError(`unknown NATS role ${JSON.stringify(never)}`);
    }
  }
}

/** Inbox prefix of a user: each one receives replies only under its own prefix. */
export function inboxPrefixFor(user: string): string {
  return `_INBOX_${user}`;
}

// The JetStream API subjects one client needs to follow (watch) a KV bucket and write keys in
// it: stream info (open/status), ordered consumer create (with and without the filter token,
// both forms exist in 2.9), consumer info and delete (reset and close of an ordered consumer),
// and direct get (kv.get with allow_direct buckets).
function kvReader(bucket: string): string[] {
  const stream = `KV_${bucket}`;
  return [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.INFO.${stream}.*`,
    `$JS.API.CONSUMER.DELETE.${stream}.*`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
  ];
}

/** Least-privilege permissions of a role (the inbox prefix is the user's own). */
export function permissionsFor(role: NatsRole): NatsPermissions {
  const inbox = `${inboxPrefixFor(natsUserName(role))}.>`;
  switch (role.kind) {
    case 'admin':
      return { publish: ['>'], subscribe: ['>'] };
    case 'control-plane':
      // The whole MatrixInfer surface (it creates the streams and buckets and runs every
      // controller) but not the server's system account nor other applications' subjects.
      return {
        publish: [`${SUBJECT_ROOT}.>`, '$JS.API.>', '$JS.ACK.>', '$JS.FC.>', '$KV.>', '$O.>'],
        subscribe: [`${SUBJECT_ROOT}.>`, '$KV.>', '$O.>', inbox],
      };
    case 'gateway':
      return {
        publish: [
          '$JS.API.INFO',
          ...kvReader(BUCKETS.routes),
          ...kvReader(BUCKETS.config),
          // Its own config status key only has a name of its own; workers are `<name>-w<i>`.
          `$KV.${BUCKETS.config}.scheduler.status.*`,
          `${SUBJECT_ROOT}.metrics.gateway.>`,
          `${SUBJECT_ROOT}.decisions.gateway.>`,
          `${SUBJECT_ROOT}.placements.gateway.>`,
          `${SUBJECT_ROOT}.inflight.gateway.*`,
          `${SUBJECT_ROOT}.ratelimit.gateway.>`,
          // Per-API-key budgets shared between replicas (key ids only, never keys).
          `${SUBJECT_ROOT}.ratelimit.keys`,
        ],
        subscribe: [
          inbox,
          `${SUBJECT_ROOT}.metrics.engine.>`,
          `${SUBJECT_ROOT}.placements.gateway.>`,
          `${SUBJECT_ROOT}.inflight.gateway.*`,
          `${SUBJECT_ROOT}.ratelimit.gateway.>`,
          // Per-API-key budgets shared between replicas (key ids only, never keys).
          `${SUBJECT_ROOT}.ratelimit.keys`,
        ],
      };
    default: {
      const never: never = role;
      throw new TypeError(`unknown NATS role ${JSON.stringify(never)}`);
    }
  }
}

/** A password of `bytes` random bytes (base64url: no quoting needed in the server config). */
export function randomPassword(randomBytes: (n: number) => Buffer, bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

/** One user per role, each with a fresh password from `randomBytes`. */
export function makeNatsUsers(roles: NatsRole[], randomBytes: (n: number) => Buffer): NatsUser[] {
  const seen = new Set<string>();
  return roles.map((role) => {
    const user = natsUserName(role);
    if (seen.has(user)) throw new TypeError(`NATS user ${user} is defined twice`);
    seen.add(user);
    return { user, password: randomPassword(randomBytes), permissions: permissionsFor(role), inboxPrefix: inboxPrefixFor(user) };
  });
}

const q = (s: string) => JSON.stringify(s);

/**
 * A user whose password the server reads from its own environment (`password: $VAR` in the
 * config): Kubernetes mode, where the passwords live in a Secret and reach nats-server as env.
 */
export interface NatsUserRef {
  user: string;
  /** Environment variable of the nats-server process that holds the password. */
  passwordEnv: string;
  permissions: NatsPermissions;
  inboxPrefix: string;
}

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** A user of `role` whose password is the server's environment variable `passwordEnv`. */
export function natsUserRef(role: NatsRole, passwordEnv: string): NatsUserRef {
  // An unquoted $NAME is a variable reference to nats-server; anything else would be a literal.
  if (!ENV_NAME.test(passwordEnv)) throw new TypeError(`NATS password variable must match ${ENV_NAME}, got ${JSON.stringify(passwordEnv)}`);
  const user = natsUserName(role);
  return { user, passwordEnv, permissions: permissionsFor(role), inboxPrefix: inboxPrefixFor(user) };
}

/**
 * The nats-server config block for `users`. Replies to requests the user received are allowed
 * (allow_responses): JetStream flow control and heartbeats ask for one.
 */
export function authorizationBlock(users: (NatsUser | NatsUserRef)[]): string {
  const lines = users.map((u) => {
    const pub = u.permissions.publish.map(q).join(', ');
    const sub = u.permissions.subscribe.map(q).join(', ');
    const password = 'passwordEnv' in u ? `$${u.passwordEnv}` : q(u.password);
    return `    { user: ${q(u.user)}, password: ${password}, permissions: { publish: { allow: [${pub}] }, subscribe: { allow: [${sub}] }, allow_responses: true } }`;
  });
  return `authorization {\n  users = [\n${lines.join(',\n')}\n  ]\n}\n`;
}

/** TLS files of a nats-server (server side). */
export interface ServerTlsFiles {
  certFile: string;
  keyFile: string;
}

/** The nats-server `tls {}` block. */
export function tlsBlock(files: ServerTlsFiles): string {
  return `tls {\n  cert_file: ${q(files.certFile)}\n  key_file: ${q(files.keyFile)}\n  timeout: 5\n}\n`;
}
