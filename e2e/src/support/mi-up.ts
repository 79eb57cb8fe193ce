// `mi up` as a child process on a test nats-server (no quickstart, no gateway, API on a free
// port): the control plane a person runs, so a test can SIGKILL it like a crash.
import { join } from 'node:path';
import { readNatsAuthFile, type NatsClientAuth } from '@matrixinfer/events';
import type { ChildSet, RunningChild } from './children.js';
import { MI_BIN, REPO_ROOT } from './mi.js';
import { waitFor } from './poll.js';

/** Starts `mi up` on `natsUrl` with data in `dataDir` (`env` adds variables, e.g. MI_NATS_USER); resolves once it says it is ready. */
export async function startMiUp(children: ChildSet, natsUrl: string, dataDir: string, name = 'mi-up', env: Record<string, string> = {}): Promise<RunningChild> {
  const child = children.spawn(name, process.execPath, [MI_BIN, '--nats-url', natsUrl, 'up', '--no-quickstart', '--gateways', '0', '--api-port', '0', '--data-dir', dataDir], {
    cwd: REPO_ROOT,
    env: { NATS_URL: natsUrl, MI_LOG_LEVEL: 'info', ...env },
  });
  await waitFor(`${name} to be ready`, () => {
    if (!child.running()) throw new Error(`${name} exited before it was ready:\n${child.output()}`);
    return child.output().includes('Press Ctrl-C to stop') || undefined;
  }, { timeoutMs: 60_000, describe: () => child.output() });
  return child;
}

/** A `mi up` with its own nats-server (users and TLS, the default). */
export interface SecureMiUp {
  child: RunningChild;
  natsUrl: string;
  /** The admin credentials `mi up` wrote (user, password, inbox prefix, CA). */
  admin: NatsClientAuth;
  /** Env that makes `mi` (support/mi.ts runMi) use them. */
  miEnv: Record<string, string>;
  apiUrl: string;
  gatewayUrls: string[];
  caFile: string;
}

/** Starts `mi up` with its own secured nats-server on `natsPort`; `args` adds flags (--gateways, --apply, --gateway-tls...). */
export async function startSecureMiUp(children: ChildSet, dataDir: string, natsPort: number, args: string[], name = 'mi-up'): Promise<SecureMiUp> {
  const child = children.spawn(name, process.execPath, [MI_BIN, 'up', '--no-quickstart', '--nats-port', String(natsPort), '--api-port', '0', '--data-dir', dataDir, ...args], {
    cwd: REPO_ROOT,
    env: { NATS_URL: '', MI_LOG_LEVEL: 'info' },
  });
  await waitFor(`${name} to be ready`, () => {
    if (!child.running()) throw new Error(`${name} exited before it was ready:\n${child.output()}`);
    return child.output().includes('Press Ctrl-C to stop') || undefined;
  }, { timeoutMs: 90_000, describe: () => child.output() });
  const out = child.output();
  const admin = readNatsAuthFile(join(dataDir, 'secrets', 'nats-mi-admin.json'));
  return {
    child,
    natsUrl: admin.url!,
    admin,
    miEnv: { MI_DATA_DIR: dataDir },
    apiUrl: /control plane\s+(\S+)/.exec(out)![1],
    gatewayUrls: [...out.matchAll(/^gateway \S+\s+(\S+) \(OpenAI API\)/gm)].map((m) => m[1]),
    caFile: admin.caFile!,
  };
}
