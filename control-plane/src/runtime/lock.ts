// One `mi up` per data dir: a pid file guards it, so a second one says who holds it instead of
// starting a second nats-server and actuator on the same files.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from './errors.js';
import { pidAlive as alive } from './pid-alive.js';

/** Takes the data dir's lock; RuntimeError MI_ERR_DATA_DIR_BUSY when a live process holds it. Returns the release function. */
export function lockDataDir(dataDir: string, pid = process.pid): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'mi-up.pid');
  let holder: number | undefined;
  try {
    holder = Number(readFileSync(file, 'utf8').trim());
  } catch {
    holder = undefined;
  }
  // Our own pid means another start in this very process holds it: busy as well.
  if (holder && alive(holder)) {
    throw new RuntimeError('MI_ERR_DATA_DIR_BUSY', `another \`mi up\` (pid ${holder}) is running on ${dataDir}; stop it first (Ctrl-C there, or kill ${holder}).`);
  }
  writeFileSync(file, `${pid}\n`);
  return () => rmSync(file, { force: true });
}
