// The Secret of NATS passwords (install/nats-users.ts): the controller reads it at start and
// makes it when absent, a random password per user, so `kubectl apply -k` needs no manual step.
// NATS and the gateways wait for it (non-optional secretKeyRef). A Secret someone else made is
// used as it is; one lacking a key is an error naming the key, never overwritten.
import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import { randomPassword } from '@matrixinfer/events';
import { K8S_NATS_USERS } from '../install/nats-users.js';
import { ensureSecret, secretValue } from './ensure-secret.js';
import { NatsSecretError } from './nats-secret-error.js';

/** The Secret is unusable (missing keys, unreadable) or could not be made (code MI_ERR_NATS_CREDENTIALS). */
export { NatsSecretError as NatsCredentialsSecretError } from './nats-secret-error.js';

export interface NatsCredentialsOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  secretName: string;
  randomBytes: (n: number) => Buffer;
  logger: Logger;
}

/** Secret key → password, for every user of K8S_NATS_USERS. */
export type NatsPasswords = Record<string, string>;

// nats-server parses the value of a `$VAR` reference as a config value: a leading `-` or digit
// is read as a number or size (and fails, or is not a string), `true`/`no`/... as a boolean. Only
// a value that reads as a plain string can be a password there; this check is stricter than the
// lexer (it refuses every leading digit) rather than a copy of it.
const NATS_STRING = /^[A-Za-z][A-Za-z0-9_-]*$/;
const NATS_KEYWORDS = new Set(['true', 'false', 'yes', 'no', 'on', 'off']);

/** True when nats-server reads `v`, given through an environment variable, as this very string. */
export function readsAsNatsString(v: string): boolean {
  return NATS_STRING.test(v) && !NATS_KEYWORDS.has(v.toLowerCase());
}

/** A new password: random base64url after a letter, so nats-server reads it as a string. */
export function newNatsPassword(randomBytes: (n: number) => Buffer): string {
  return `p${randomPassword(randomBytes)}`;
}

function passwordsOf(s: V1Secret, ref: string): NatsPasswords {
  const out: NatsPasswords = {};
  const missing: string[] = [];
  for (const u of K8S_NATS_USERS) {
    const v = secretValue(s, u.secretKey);
    if (v === undefined) missing.push(u.secretKey);
    else if (!readsAsNatsString(v)) {
      // The key is named, never the value.
      throw new NatsSecretError(`Secret ${ref}: the ${u.secretKey} password cannot be given to nats-server through its environment: it must start with a letter and hold only letters, digits, - and _ (and not be a word like true or no); change it, or delete the Secret and restart the controller to have one made`);
    } else out[u.secretKey] = v;
  }
  if (missing.length > 0) {
    throw new NatsSecretError(`Secret ${ref} has no ${missing.join(', ')} key${missing.length > 1 ? 's' : ''}: add ${missing.length > 1 ? 'them' : 'it'} (a password each), or delete the Secret and restart the controller to have one made`);
  }
  return out;
}

/** Reads the Secret, creating it with fresh passwords when absent; resolves to its passwords. */
export function ensureNatsCredentials(o: NatsCredentialsOptions): Promise<NatsPasswords> {
  return ensureSecret({
    core: o.kubeConfig.makeApiClient(CoreV1Api),
    namespace: o.namespace,
    name: o.secretName,
    parse: passwordsOf,
    labels: { 'app.kubernetes.io/component': 'nats-credentials' },
    make: async () => Object.fromEntries(K8S_NATS_USERS.map((u) => [u.secretKey, Buffer.from(newNatsPassword(o.randomBytes)).toString('base64')])),
    // Key names only: the values are secrets.
    onCreated: (ref, keys) => o.logger.info('NATS credentials Secret created', { secret: ref, keys }),
  });
}
