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

function passwordsOf(s: V1Secret, ref: string): NatsPasswords {
  const out: NatsPasswords = {};
  const missing: string[] = [];
  for (const u of K8S_NATS_USERS) {
    const v = secretValue(s, u.secretKey);
    if (v === undefined) missing.push(u.secretKey);
    else out[u.secretKey] = v;
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
    make: async () => Object.fromEntries(K8S_NATS_USERS.map((u) => [u.secretKey, Buffer.from(randomPassword(o.randomBytes)).toString('base64')])),
    // Key names only: the values are secrets.
    onCreated: (ref, keys) => o.logger.info('NATS credentials Secret created', { secret: ref, keys }),
  });
}
