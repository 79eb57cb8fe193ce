// `mi up` as a child process on a test nats-server (no quickstart, no gateway, API on a free
// port): the control plane a person runs, so a test can SIGKILL it like a crash.
import type { ChildSet, RunningChild } from './children.js';
import { MI_BIN, REPO_ROOT } from './mi.js';
import { waitFor } from './poll.js';

/** Starts `mi up` on `natsUrl` with data in `dataDir`; resolves once it says it is ready. */
export async function startMiUp(children: ChildSet, natsUrl: string, dataDir: string, name = 'mi-up'): Promise<RunningChild> {
  const child = children.spawn(name, process.execPath, [MI_BIN, '--nats-url', natsUrl, 'up', '--no-quickstart', '--gateways', '0', '--api-port', '0', '--data-dir', dataDir], {
    cwd: REPO_ROOT,
    env: { NATS_URL: natsUrl, MI_LOG_LEVEL: 'info' },
  });
  await waitFor(`${name} to be ready`, () => {
    if (!child.running()) throw new Error(`${name} exited before it was ready:\n${child.output()}`);
    return child.output().includes('Press Ctrl-C to stop') || undefined;
  }, { timeoutMs: 60_000, describe: () => child.output() });
  return child;
}
