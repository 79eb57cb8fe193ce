// NATS's server certificate in Kubernetes mode: the controller makes the Secret mi-nats-tls on its
// first start (a CA of its own and a server certificate for the client Service's DNS names), NATS
// mounts it and requires TLS, the gateways mount only its ca.crt, the controller reads the CA
// through the API (its Pod cannot mount a Secret it has yet to make). A Secret made another way
// (cert-manager, by hand) is used as it is when it holds tls.crt, tls.key and ca.crt.
import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import { generateCa, issueServingCert, validityOf } from '../webhook/certs.js';
import { ensureSecret, secretValue } from './ensure-secret.js';
import { NatsSecretError } from './nats-secret-error.js';

/** PEMs of the NATS server and the CA its clients trust. */
export interface NatsTls {
  cert: string;
  key: string;
  ca: string;
  notAfter: Date;
}

export interface NatsTlsOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  secretName: string;
  /** SANs of a new server certificate (natsServerDnsNames). */
  dnsNames: string[];
  /** Validity of a new server certificate; default 5 years (the CA: twice that). */
  validityMs?: number;
  now?: () => Date;
  logger: Logger;
}

const KEYS = ['tls.crt', 'tls.key', 'ca.crt'] as const;
const b64 = (s: string) => Buffer.from(s).toString('base64');

function tlsOf(s: V1Secret, ref: string): NatsTls {
  const [cert, key, ca] = KEYS.map((k) => secretValue(s, k));
  const missing = KEYS.filter((_, i) => [cert, key, ca][i] === undefined);
  if (missing.length > 0) throw new NatsSecretError(`Secret ${ref} has no ${missing.join(', ')}: a NATS server certificate Secret needs tls.crt, tls.key and ca.crt (or delete it and restart the controller to have one made)`);
  let notAfter: Date;
  try {
    notAfter = validityOf(cert!).notAfter;
  } catch (err) {
    throw new NatsSecretError(`Secret ${ref}: tls.crt is not a PEM certificate (${(err as Error).message})`, { cause: err });
  }
  return { cert: cert!, key: key!, ca: ca!, notAfter };
}

/** Reads the Secret, creating it with a new CA and server certificate when absent; warns when the certificate has expired. */
export async function ensureNatsTls(o: NatsTlsOptions): Promise<NatsTls> {
  const now = o.now ?? (() => new Date());
  const validityMs = o.validityMs ?? 5 * 365 * 24 * 3600_000;
  const tls = await ensureSecret({
    core: o.kubeConfig.makeApiClient(CoreV1Api),
    namespace: o.namespace,
    name: o.secretName,
    type: 'kubernetes.io/tls',
    labels: { 'app.kubernetes.io/component': 'nats-tls' },
    parse: tlsOf,
    make: async () => {
      const ca = await generateCa(validityMs * 2, now(), 'matrixinfer-nats-ca');
      const leaf = await issueServingCert(ca, o.dnsNames, [], validityMs, now());
      // The CA key stays beside it so a later version can reissue without a new CA.
      return { 'tls.crt': b64(leaf.cert), 'tls.key': b64(leaf.key), 'ca.crt': b64(ca.cert), 'ca.key': b64(ca.key) };
    },
    onCreated: (ref) => o.logger.info('NATS TLS Secret created', { secret: ref, dnsNames: o.dnsNames }),
  });
  if (tls.notAfter <= now()) {
    o.logger.warn('the NATS server certificate has expired: delete the Secret, restart the controller, then the nats StatefulSet and the gateways', { secret: `${o.namespace}/${o.secretName}`, notAfter: tls.notAfter.toISOString() });
  }
  return tls;
}
