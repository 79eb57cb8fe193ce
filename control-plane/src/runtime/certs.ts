// A local CA and one server certificate for 127.0.0.1/localhost, made with the `openssl` CLI
// (Node has no X.509 generation API). `mi up` uses them for its nats-server and, with
// --gateway-tls, for the gateways' HTTPS listeners. Keys are written 0600; kept across runs.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ChildStartError } from './errors.js';

/** Paths of the generated PEM files. */
export interface LocalCerts {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** Runs openssl with `args` in `cwd`; rejects with its stderr on failure. */
export type RunOpenssl = (args: string[], cwd: string) => Promise<void>;

const run = promisify(execFile);

/** The real openssl from PATH. */
export const opensslCli: RunOpenssl = async (args, cwd) => {
  await run('openssl', args, { cwd, timeout: 30_000 });
};

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** The openssl invocations, in order (pure, so the certificate profile is reviewable and tested). */
export function opensslSteps(days: number): string[][] {
  return [
    ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', String(days), '-subj', '/CN=MatrixInfer local CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ['req', ...EC, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'],
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', String(days), '-extfile', 'server.ext'],
  ];
}

/** Extensions of the server certificate: the loopback names clients on this machine use. */
export const SERVER_EXTENSIONS = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n';

/** Makes (or reuses) the CA and server certificate under `dir`; ChildStartError when openssl is missing or fails. */
export async function ensureLocalCerts(dir: string, openssl: RunOpenssl = opensslCli, days = 825): Promise<LocalCerts> {
  const certs = { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') };
  if (existsSync(certs.caFile) && existsSync(certs.certFile) && existsSync(certs.keyFile)) return certs;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'server.ext'), SERVER_EXTENSIONS);
  try {
    for (const args of opensslSteps(days)) await openssl(args, dir);
  } catch (err) {
    const why = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    throw new ChildStartError(`cannot make TLS certificates with openssl in ${dir}: ${why}. Install openssl, or start with --insecure-nats.`, { cause: err });
  }
  for (const f of ['server.csr', 'server.ext', 'ca.srl']) rmSync(join(dir, f), { force: true });
  for (const f of ['ca.key', 'server.key', 'ca.pem', 'server.pem']) chmodSync(join(dir, f), 0o600);
  return certs;
}
