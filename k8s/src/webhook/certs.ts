// The webhook's serving certificate: from files (a Secret mounted by cert-manager or by hand),
// or, when none is given, a CA and a server certificate generated at start-up, the CA being
// what the webhook configurations' caBundle must hold.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { generate } from 'selfsigned';
import { BadArgumentError } from '@matrixinfer/control-plane';

/** PEMs the HTTPS server uses, and the CA clients must trust. */
export interface ServingCert {
  cert: string;
  key: string;
  /** PEM of the CA (base64 of it is the caBundle). */
  ca: string;
  /** When the server certificate expires. */
  notAfter: Date;
}

/** Reads a certificate and key pair (and optional CA file; default: the certificate itself). */
export function loadServingCert(certFile: string, keyFile: string, caFile?: string): ServingCert {
  try {
    const cert = readFileSync(certFile, 'utf8');
    const key = readFileSync(keyFile, 'utf8');
    const ca = caFile ? readFileSync(caFile, 'utf8') : cert;
    return { cert, key, ca, notAfter: new Date(8.64e15) };
  } catch (err) {
    throw new BadArgumentError(`cannot read the webhook certificate: ${(err as Error).message}`);
  }
}

/** A fresh CA and a server certificate for `dnsNames` and `ips`, valid `validityMs` from `now`. */
export async function generateServingCert(dnsNames: string[], ips: string[], validityMs: number, now: Date = new Date()): Promise<ServingCert> {
  return issueServingCert(await generateCa(validityMs, now), dnsNames, ips, validityMs, now);
}

/** A CA that signs serving certificates (kept in the webhook's Secret so every replica can issue). */
export interface CertAuthority {
  cert: string;
  key: string;
}

/** A new CA valid `validityMs` from `now`. */
export async function generateCa(validityMs: number, now: Date = new Date(), commonName = 'matrixinfer-webhook-ca'): Promise<CertAuthority> {
  const ca = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    notBeforeDate: new Date(now.getTime() - 1000),
    notAfterDate: new Date(now.getTime() + validityMs),
    extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }],
  });
  return { cert: ca.cert, key: ca.private };
}

/** A serving certificate for `dnsNames` and `ips` signed by `ca`, valid `validityMs` from `now`. */
export async function issueServingCert(ca: CertAuthority, dnsNames: string[], ips: string[], validityMs: number, now: Date = new Date()): Promise<ServingCert> {
  const notAfterDate = new Date(now.getTime() + validityMs);
  const leaf = await generate([{ name: 'commonName', value: dnsNames[0] ?? 'matrixinfer-webhook' }], {
    keySize: 2048,
    notBeforeDate: new Date(now.getTime() - 1000),
    notAfterDate,
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [...dnsNames.map((value) => ({ type: 2 as const, value })), ...ips.map((ip) => ({ type: 7 as const, ip }))] },
    ],
  });
  return { cert: leaf.cert, key: leaf.private, ca: ca.cert, notAfter: notAfterDate };
}

/** Validity window of a PEM certificate. */
export function validityOf(pem: string): { notBefore: Date; notAfter: Date } {
  const x = new X509Certificate(pem);
  return { notBefore: new Date(x.validFrom), notAfter: new Date(x.validTo) };
}

/** True when a certificate valid over [notBefore, notAfter] should be replaced at `now` (two thirds of its life used). */
export function dueForRotation(v: { notBefore: Date; notAfter: Date }, now: Date): boolean {
  const life = v.notAfter.getTime() - v.notBefore.getTime();
  return now.getTime() >= v.notBefore.getTime() + (life * 2) / 3;
}
