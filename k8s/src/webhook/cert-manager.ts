// Serving certificates for webhook replicas without cert-manager: one Secret (type
// kubernetes.io/tls, plus ca.crt and ca.key) holds a CA and the current serving certificate,
// so every replica serves the same pair; whoever finds the certificate two thirds through its
// life issues the next one from the same CA (the caBundle does not change, so no admission
// fails across a rotation), and each replica writes the CA into the caBundle of the named
// webhook configurations when it differs. Races between replicas end in one 409 and a re-read.
import { AdmissionregistrationV1Api, CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import { apiStatusOf } from '../actuator/errors.js';
import { dueForRotation, generateCa, issueServingCert, validityOf, type ServingCert } from './certs.js';

export interface CertManagerOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  secretName: string;
  /** Webhook configurations (validating and mutating) whose caBundle this keeps current. */
  configurations: string[];
  dnsNames: string[];
  ips?: string[];
  /** Serving certificate validity (default 30 days); the CA lives ten times as long. */
  validityMs?: number;
  /** How often to check (default a tenth of the validity, at most 1 h). */
  checkMs?: number;
  logger: Logger;
  now?: () => Date;
  /** Called with the pair to serve, at start and after every rotation. */
  onCert: (cert: ServingCert) => void;
}

/** A running certificate manager. */
export interface CertManager {
  /** The pair served now. */
  current(): ServingCert;
  /** Rotations this process made. */
  rotations(): number;
  stop(): Promise<void>;
}

/** The PEM certificates of a bundle. */
export function splitPems(bundlePem: string): string[] {
  return bundlePem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

// A caBundle of the given CAs minus the expired ones.
function bundle(pems: string[], now: Date): string {
  return pems.filter((p) => validityOf(p).notAfter > now).map((p) => p.trim()).join('\n') + '\n';
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

function unb64(s: string | undefined): string | undefined {
  return s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');
}

/** Ensures the Secret and caBundles once, then keeps them current; resolves with the first pair. */
export async function startCertManager(o: CertManagerOptions): Promise<CertManager> {
  const core = o.kubeConfig.makeApiClient(CoreV1Api);
  const adm = o.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const now = o.now ?? (() => new Date());
  const validityMs = o.validityMs ?? 30 * 24 * 3600_000;
  const log = o.logger.child({ component: 'webhook-certs', secret: `${o.namespace}/${o.secretName}` });
  let current: ServingCert | undefined;
  let rotations = 0;

  const fromSecret = (s: V1Secret): ServingCert | undefined => {
    const cert = unb64(s.data?.['tls.crt']);
    const key = unb64(s.data?.['tls.key']);
    const ca = unb64(s.data?.['ca.crt']);
    return cert && key && ca ? { cert, key, ca, notAfter: validityOf(cert).notAfter } : undefined;
  };
  const body = (pair: ServingCert, caKey: string, old?: V1Secret): V1Secret => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { ...(old?.metadata ?? {}), name: o.secretName, namespace: o.namespace, labels: { ...(old?.metadata?.labels ?? {}), 'app.kubernetes.io/part-of': 'matrixinfer' } },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(pair.cert), 'tls.key': b64(pair.key), 'ca.crt': b64(pair.ca), 'ca.key': b64(caKey) },
  });

  // The pair the Secret holds after making it exist and be fresh (one write at most).
  async function ensureSecret(): Promise<ServingCert> {
    for (let attempt = 0; attempt < 5; attempt++) {
      let secret: V1Secret | undefined;
      try {
        secret = await core.readNamespacedSecret({ name: o.secretName, namespace: o.namespace });
      } catch (err) {
        if (apiStatusOf(err) !== 404) throw err;
      }
      const have = secret ? fromSecret(secret) : undefined;
      const caKey = unb64(secret?.data?.['ca.key']);
      if (have && !dueForRotation(validityOf(have.cert), now())) return have;
      try {
        const signer = have ? splitPems(have.ca)[0] : undefined;
        if (have && caKey && signer && !dueForRotation(validityOf(signer), now())) {
          // The first CA of the bundle is the one whose key the Secret holds.
          const issued = await issueServingCert({ cert: signer, key: caKey }, o.dnsNames, o.ips ?? [], validityMs, now());
          const next = { ...issued, ca: have.ca };
          await core.replaceNamespacedSecret({ name: o.secretName, namespace: o.namespace, body: body(next, caKey, secret) });
          rotations++;
          log.info('serving certificate rotated', { notAfter: next.notAfter.toISOString() });
          return next;
        }
        // No Secret yet, or its CA is ending: a new CA. The bundle keeps the old CA too while it
        // is valid, so clients trusting either accept both the old and the new certificate.
        const ca = await generateCa(validityMs * 10, now());
        const issued = await issueServingCert(ca, o.dnsNames, o.ips ?? [], validityMs, now());
        const next = have ? { ...issued, ca: bundle([ca.cert, ...splitPems(have.ca)], now()) } : issued;
        if (secret) await core.replaceNamespacedSecret({ name: o.secretName, namespace: o.namespace, body: body(next, ca.key, secret) });
        else await core.createNamespacedSecret({ namespace: o.namespace, body: body(next, ca.key) });
        log.info('certificate authority and serving certificate generated', { notAfter: next.notAfter.toISOString() });
        return next;
      } catch (err) {
        // Another replica wrote first: read what it wrote.
        if (apiStatusOf(err) === 409) continue;
        throw err;
      }
    }
    throw new Error(`could not settle the Secret ${o.namespace}/${o.secretName} after 5 attempts`);
  }

  async function ensureCaBundles(ca: string): Promise<void> {
    const want = b64(ca);
    for (const name of o.configurations) {
      for (const kind of ['validating', 'mutating'] as const) {
        try {
          const cfg = kind === 'validating' ? await adm.readValidatingWebhookConfiguration({ name }) : await adm.readMutatingWebhookConfiguration({ name });
          const hooks = cfg.webhooks ?? [];
          if (hooks.every((w) => w.clientConfig.caBundle === want)) continue;
          const next = { ...cfg, webhooks: hooks.map((w) => ({ ...w, clientConfig: { ...w.clientConfig, caBundle: want } })) };
          if (kind === 'validating') await adm.replaceValidatingWebhookConfiguration({ name, body: next as never });
          else await adm.replaceMutatingWebhookConfiguration({ name, body: next as never });
          log.info('caBundle written', { configuration: `${kind}/${name}` });
        } catch (err) {
          const status = apiStatusOf(err);
          // 404: not installed (yet); 409: another replica wrote it; both are retried next check.
          if (status !== 404 && status !== 409) log.warn('caBundle update failed', { configuration: `${kind}/${name}`, error: (err as Error).message, status });
        }
      }
    }
  }

  async function check(): Promise<void> {
    const pair = await ensureSecret();
    // Trust first, then serve: clients must know a new CA before any certificate it signed.
    await ensureCaBundles(pair.ca);
    if (current === undefined || pair.cert !== current.cert) {
      current = pair;
      o.onCert(pair);
    }
  }

  await check();
  const checkMs = o.checkMs ?? Math.min(3600_000, Math.max(100, Math.floor(validityMs / 10)));
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(check).catch((err: Error) => void log.warn('certificate check failed; retrying', { error: err.message }));
  }, checkMs);
  return {
    current: () => current!,
    rotations: () => rotations,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
