// What `mi up` prepares so its own nats-server is not open to every local process: one user per
// component (fresh passwords each start), a CA and server certificate, the server's config
// (authorization + tls blocks), and one credentials file per client. Everything lives under
// <dataDir>/secrets (0700 directory, 0600 files); children get a file path, never a password.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { authorizationBlock, makeNatsUsers, tlsBlock, type NatsClientAuth, type NatsRole, type NatsUser } from '@matrixinfer/events';
import { ensureLocalCerts, type LocalCerts, type RunOpenssl } from './certs.js';

/** Directory of `mi up`'s credentials and certificates. */
export function secretsDir(dataDir: string): string {
  return join(dataDir, 'secrets');
}

/** Credentials file of one NATS user under `dataDir` (what MI_NATS_AUTH_FILE points at). */
export function natsAuthFile(dataDir: string, user: string): string {
  return join(secretsDir(dataDir), `nats-${user}.json`);
}

/** The admin credentials file `mi` commands on this machine pick up (see cli/nats-auth.ts). */
export function adminAuthFile(dataDir: string): string {
  return natsAuthFile(dataDir, 'mi-admin');
}

export interface PrepareLocalNatsOptions {
  dataDir: string;
  /** URL the server will listen on (recorded in each credentials file). */
  url: string;
  /** Names of the gateway replicas that get a user each. */
  gatewayNames: string[];
  randomBytes: (n: number) => Buffer;
  openssl?: RunOpenssl;
}

/** The prepared files. */
export interface LocalNatsSecurity {
  /** nats-server config with the authorization and tls blocks (pass with -c). */
  configFile: string;
  certs: LocalCerts;
  /** The control plane's own credentials (it runs in the `mi up` process). */
  controlPlane: NatsClientAuth;
  /** MI_NATS_AUTH_FILE of a gateway replica. */
  gatewayAuthFile(name: string): string;
  adminFile: string;
}

function writeSecret(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  // mode applies only to a new file; an old one from an earlier run is narrowed too.
  chmodSync(file, 0o600);
}

function clientAuth(u: NatsUser, url: string, caFile: string): NatsClientAuth {
  return { url, user: u.user, password: u.password, inboxPrefix: u.inboxPrefix, caFile };
}

/** Writes users, certificates, the server config and the client files; returns their paths. */
export async function prepareLocalNats(opts: PrepareLocalNatsOptions): Promise<LocalNatsSecurity> {
  const dir = secretsDir(opts.dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const certs = await ensureLocalCerts(join(dir, 'tls'), opts.openssl);
  const roles: NatsRole[] = [{ kind: 'admin' }, { kind: 'control-plane' }, ...opts.gatewayNames.map((name) => ({ kind: 'gateway' as const, name }))];
  const users = makeNatsUsers(roles, opts.randomBytes);
  const configFile = join(dir, 'nats-server.conf');
  writeSecret(configFile, `# written by mi up; regenerated at every start\n${authorizationBlock(users)}${tlsBlock(certs)}`);
  for (const u of users) writeSecret(natsAuthFile(opts.dataDir, u.user), `${JSON.stringify(clientAuth(u, opts.url, certs.caFile), null, 2)}\n`);
  const cp = users.find((u) => u.user === 'mi-control-plane')!;
  return {
    configFile,
    certs,
    controlPlane: clientAuth(cp, opts.url, certs.caFile),
    gatewayAuthFile: (name) => natsAuthFile(opts.dataDir, `mi-gateway-${name}`),
    adminFile: adminAuthFile(opts.dataDir),
  };
}
