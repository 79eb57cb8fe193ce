// Read-or-create of a Secret several controller replicas may race to make: read it; when it is
// absent, create it; when another replica created it first (409), read theirs. A Secret that
// exists is never overwritten: `parse` decides whether it is usable.
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { apiStatusOf } from '../actuator/errors.js';
import { NatsSecretError } from './nats-secret-error.js';

/** What ensureSecret needs: where, how to read a Secret's content, and how to make a new one. */
export interface EnsureSecretOptions<T> {
  core: CoreV1Api;
  namespace: string;
  name: string;
  /** The content of an existing Secret; throws NatsSecretError when it is unusable. */
  parse: (s: V1Secret, ref: string) => T;
  /** A new Secret's data (base64 values), made only when none exists. */
  make: () => Promise<Record<string, string>>;
  type?: string;
  labels?: Record<string, string>;
  /** Called after this process created the Secret. */
  onCreated?: (ref: string, keys: string[]) => void;
}

/** The Secret's content, creating the Secret first when it does not exist. */
export async function ensureSecret<T>(o: EnsureSecretOptions<T>): Promise<T> {
  const ref = `${o.namespace}/${o.name}`;
  // Two rounds: a replica that loses the create race reads the winner's Secret.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      return o.parse(await o.core.readNamespacedSecret({ name: o.name, namespace: o.namespace }), ref);
    } catch (err) {
      if (err instanceof NatsSecretError) throw err;
      if (apiStatusOf(err) !== 404) throw new NatsSecretError(`cannot read Secret ${ref}: ${(err as Error).message}`, { cause: err });
    }
    const body: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: o.type ?? 'Opaque',
      metadata: { name: o.name, namespace: o.namespace, labels: { 'app.kubernetes.io/part-of': 'matrixinfer', ...(o.labels ?? {}) } },
      data: await o.make(),
    };
    try {
      await o.core.createNamespacedSecret({ namespace: o.namespace, body });
      o.onCreated?.(ref, Object.keys(body.data ?? {}));
      return o.parse(body, ref);
    } catch (err) {
      if (apiStatusOf(err) !== 409) throw new NatsSecretError(`cannot create Secret ${ref}: ${(err as Error).message}`, { cause: err });
    }
  }
  throw new NatsSecretError(`Secret ${ref} was created by someone else but cannot be read back`);
}

/** The decoded value of `key` in a Secret (data is base64; stringData is plain), or undefined. */
export function secretValue(s: V1Secret, key: string): string | undefined {
  const b64 = s.data?.[key];
  const v = b64 === undefined ? s.stringData?.[key] : Buffer.from(b64, 'base64').toString('utf8');
  return v === '' ? undefined : v;
}
