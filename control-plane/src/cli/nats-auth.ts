// `mi` commands on the machine where `mi up` runs find its admin credentials by themselves:
// <data dir>/secrets/nats-mi-admin.json (data dir: env MI_DATA_DIR, else ./.mi-data, as `mi up`).
// They are used only for the server they were issued for, so a --nats-url elsewhere never
// receives them. Explicit MI_NATS_AUTH_FILE / MI_NATS_USER win.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { readNatsAuthFile, resolveNatsUrl, type NatsClientAuth } from '@matrixinfer/events';
import { adminAuthFile } from '../runtime/local-security.js';

/** URL and credentials a CLI command connects with. */
export interface CliNatsTarget {
  url?: string;
  /** undefined: connectNats reads the environment. */
  auth?: NatsClientAuth;
}

/** Where the local admin credentials file would be for `env`. */
export function localAdminFile(env: Record<string, string | undefined>, cwd: string = process.cwd()): string {
  return adminAuthFile(resolve(cwd, env.MI_DATA_DIR || '.mi-data'));
}

/** The URL and credentials for a command given `--nats-url` (or none) and the environment. */
export function cliNatsTarget(natsUrl: string | undefined, env: Record<string, string | undefined>, cwd?: string): CliNatsTarget {
  if (env.MI_NATS_AUTH_FILE || env.MI_NATS_USER) return { url: natsUrl };
  const file = localAdminFile(env, cwd);
  if (!existsSync(file)) return { url: natsUrl };
  const auth = readNatsAuthFile(file);
  const given = natsUrl ?? (env.NATS_URL || undefined);
  if (given === undefined) return { url: auth.url, auth };
  return sameServer(resolveNatsUrl(given, env), auth.url) ? { url: given, auth } : { url: natsUrl };
}

function sameServer(a: string, b: string | undefined): boolean {
  if (b === undefined) return false;
  const norm = (u: string) => u.replace(/^(nats|tls):\/\//, '').replace(/^localhost:/, '127.0.0.1:').replace(/\/$/, '');
  return norm(a) === norm(b);
}
