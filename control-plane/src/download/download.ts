// `mi download` as a function: parse the source, take the output directory's lock, list the
// files, fetch each one not already complete (resuming part files), then write a marker so
// the next run (another replica, a restarted Pod) returns at once. Progress goes to `log`.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DownloadError } from './errors.js';
import { hfRemote } from './hf.js';
import { localRemote } from './local.js';
import { acquireLock } from './lock.js';
import type { Remote } from './remote.js';
import { s3Remote } from './s3.js';
import { formatBytes, parseSource, safeRelative } from './source.js';

/** Marker of a finished download, in the output directory. */
export const DONE_MARKER = '.mi-download.json';
/** Lock file of a download in progress, in the output directory. */
export const LOCK_FILE = '.mi-download.lock';

export interface DownloadOptions {
  source: string;
  outputDir: string;
  env: Readonly<Record<string, string | undefined>>;
  /** One progress line. */
  log: (line: string) => void;
  fetchImpl?: typeof fetch;
  now?: () => number;
  /** Minimum time between two progress lines of one file (default 2000 ms). */
  progressEveryMs?: number;
  lockPollMs?: number;
}

/** What a run did. */
export interface DownloadResult {
  files: number;
  fetched: number;
  skipped: number;
  bytes: number;
  /** The marker said it was done already. */
  alreadyDone: boolean;
}

/** The remote a source URI names. */
export function remoteFor(source: string, env: Readonly<Record<string, string | undefined>>, fetchImpl?: typeof fetch): Remote {
  const s = parseSource(source, env.MI_PVC_ROOT || '/pvc');
  if (s.kind === 'hf') return hfRemote(s.repo, s.revision, env, fetchImpl);
  if (s.kind === 's3') return s3Remote(s.bucket, s.prefix, env, fetchImpl);
  return localRemote(s.path, s.uri);
}

function doneFor(outputDir: string, source: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(outputDir, DONE_MARKER), 'utf8')) as { source?: string }).source === source;
  } catch {
    return false;
  }
}

/** Runs one download; DownloadError for every failure a user can act on. */
export async function runDownload(o: DownloadOptions): Promise<DownloadResult> {
  const now = o.now ?? Date.now;
  const remote = remoteFor(o.source, o.env, o.fetchImpl);
  try {
    mkdirSync(o.outputDir, { recursive: true });
  } catch (err) {
    throw new DownloadError(`cannot create --output-dir ${o.outputDir}: ${(err as Error).message}`, { cause: err });
  }
  if (doneFor(o.outputDir, o.source)) {
    o.log(`${o.source}: already downloaded to ${o.outputDir}`);
    return { files: 0, fetched: 0, skipped: 0, bytes: 0, alreadyDone: true };
  }
  const release = await acquireLock(join(o.outputDir, LOCK_FILE), { pollMs: o.lockPollMs, onWait: (h) => o.log(`${o.source}: waiting for ${h}, which is downloading to ${o.outputDir}`) });
  try {
    // Whoever held the lock may have finished it.
    if (doneFor(o.outputDir, o.source)) {
      o.log(`${o.source}: downloaded to ${o.outputDir} by another process`);
      return { files: 0, fetched: 0, skipped: 0, bytes: 0, alreadyDone: true };
    }
    o.log(`${o.source}: listing ${remote.describe}`);
    const files = (await remote.list()).map((f) => ({ ...f, path: safeRelative(f.path) }));
    const total = files.reduce((n, f) => n + (f.size ?? 0), 0);
    o.log(`${o.source}: ${files.length} files, ${formatBytes(total)} → ${o.outputDir}`);
    let fetched = 0;
    let skipped = 0;
    let bytes = 0;
    for (const [i, f] of files.entries()) {
      const dest = join(o.outputDir, f.path);
      const tag = `[${i + 1}/${files.length}] ${f.path}`;
      if (f.size !== undefined && existsSync(dest) && statSync(dest).size === f.size) {
        skipped++;
        o.log(`${tag}: complete, kept`);
        continue;
      }
      let lastLine = 0;
      const started = now();
      try {
        const r = await remote.fetch(f, dest, (done, size) => {
          if (now() - lastLine < (o.progressEveryMs ?? 2000)) return;
          lastLine = now();
          const of = size ?? f.size;
          o.log(`${tag}: ${formatBytes(done)}${of ? ` of ${formatBytes(of)} (${Math.floor((done / of) * 100)}%)` : ''}`);
        });
        fetched++;
        bytes += r.bytes;
        o.log(`${tag}: ${formatBytes(r.bytes)}${r.resumed ? ' (resumed)' : ''} in ${((now() - started) / 1000).toFixed(1)} s`);
      } catch (err) {
        if (err instanceof DownloadError) throw err;
        throw new DownloadError(`${tag}: ${(err as Error).message}; run again to resume`, { cause: err });
      }
    }
    writeFileSync(join(o.outputDir, DONE_MARKER), JSON.stringify({ source: o.source, files: files.length, bytes: total, completedAt: new Date(now()).toISOString() }, null, 2));
    o.log(`${o.source}: done (${fetched} fetched, ${skipped} kept)`);
    return { files: files.length, fetched, skipped, bytes, alreadyDone: false };
  } finally {
    release();
  }
}
