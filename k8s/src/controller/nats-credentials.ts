// The Secret of NATS passwords (install/nats-users.ts): the controller reads it at start and
// makes it when absent, a random password per user, so `kubectl apply -k` needs no manual step.
// NATS and the gateways wait for it (non-optional secretKeyRef). A Secret someone else made is
// used as it is; one lacking a key is an error naming the key, never overwritten.
import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import { ControlPlaneError } from '@matrixinfer/control-plane';
import { randomPassword } from '@matrixinfer/events';
import { apiStatusOf } from '../actuator/errors.js';
import { K8S_NATS_USERS } from '../install/nats-users.js';

/** The Secret is unusable (missing keys, unreadable) or could not be made. */
export class NatsCredentialsSecretError extends ControlPlaneError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MI_ERR_NATS_CREDENTIALS', message, options);
    this.name = 'NatsCredentialsSecretError';
  }
}

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
    const v = s.data?.[u.secretKey] === undefined ? s.stringData?.[u.secretKey] : Buffer.from(s.data[u.secretKey]!, 'base64').toString('utf8');
    if (v === undefined || v === '') missing.push(u.secretKey);
    else out[u.secretKey] = v;
  }
  if (missing.length > 0) {
    throw new NatsCredentialsSecretError(`Secret ${ref} has no ${missing.join(', ')} key${missing.length > 1 ? 's' : ''}: add ${missing.length > 1 ? 'them' : 'it'} (a password each), or delete the Secret and restart the controller to have one made`);
  }
  return out;
}

/** Reads the Secret, creating it with fresh passwords when absent; resolves to its passwords. */
export async function ensureNatsCredentials(o: NatsCredentialsOptions): Promise<NatsPasswords> {
  const core = o.kubeConfig.makeApiClient(CoreV1Api);
  const ref = `${o.namespace}/${o.secretName}`;
  // Two rounds: a replica that loses the create race reads the winner's Secret.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      return passwordsOf(await core.readNamespacedSecret({ name: o.secretName, namespace: o.namespace }), ref);
    } catch (err) {
      if (err instanceof NatsCredentialsSecretError) throw err;
      if (apiStatusOf(err) !== 404) throw new NatsCredentialsSecretError(`cannot read Secret ${ref}: ${(err as Error).message}`, { cause: err });
    }
    const data: Record<string, string> = {};
    for (const u of K8S_NATS_USERS) data[u.secretKey] = Buffer.from(randomPassword(o.randomBytes)).toString('base64');
    const body: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: o.secretName, namespace: o.namespace, labels: { 'app.kubernetes.io/part-of': 'matrixinfer', 'app.kubernetes.io/component': 'nats-credentials' } },
      data,
    };
    try {
      await core.createNamespacedSecret({ namespace: o.namespace, body });
      // Key names only: the values are secrets.
      o.logger.info('NATS credentials Secret created', { secret: ref, keys: Object.keys(data) });
      return passwordsOf(body, ref);
    } catch (err) {
      if (apiStatusOf(err) !== 409) throw new NatsCredentialsSecretError(`cannot create Secret ${ref}: ${(err as Error).message}`, { cause: err });
    }
  }
  throw new NatsCredentialsSecretError(`Secret ${ref} was created by someone else but cannot be read back`);
}
