// Loads the --api-keys file and follows it: the directory is watched (a Kubernetes Secret volume
// is updated by kubelet swapping a `..data` symlink, which changes no watched file in place) and
// re-read on a slow period too (file systems where inotify says nothing). A bad reload keeps
// the last good set and logs an error; only the start-up load may fail (main decides to exit).
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'winston';
import { ApiKeyFileError, parseApiKeyFile } from '@matrixinfer/schemas';
import { compileKeyStore, type KeyStore } from './key-store.js';

export interface KeyFileOptions {
  path: string;
  logger: Logger;
  /** Called after each successful (re)load with the new store. */
  onLoad?: (store: KeyStore) => void;
  /** Called when a changed file is rejected (the last good set stays). */
  onReject?: () => void;
  /** Wait after a change event before reading (a writer's events come in bursts). Default 50 ms. */
  settleMs?: number;
  /** Re-read period without events. Default 30000 ms; 0: events only. */
  periodMs?: number;
}

/** A followed key file: the store in force, swapped whole on every good reload. */
export interface KeyFile {
  current(): KeyStore;
  /** Reads the file now (what a change event triggers); true when a new set is in force. */
  reload(): boolean;
  close(): void;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ApiKeyFileError(path, [`cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
}

/** Loads `path` (throws ApiKeyFileError when unreadable or invalid) and follows it until close(). */
export function openKeyFile(o: KeyFileOptions): KeyFile {
  let lastText = read(o.path);
  let store = compileKeyStore(parseApiKeyFile(lastText, o.path));
  // The last rejected content: a bad file is reported once, not on every period.
  let lastBad: string | null = null;
  o.onLoad?.(store);
  o.logger.info('api keys loaded', { file: o.path, keys: store.size });
  const reject = (bad: string, err: unknown): false => {
    if (bad !== lastBad) {
      o.onReject?.();
      // The message names the file and the faulty fields, never a key (the file holds none).
      o.logger.error('api key file rejected; the last good keys stay in force', { file: o.path, code: (err as ApiKeyFileError).code, error: (err as Error).message });
    }
    lastBad = bad;
    return false;
  };
  const reload = (): boolean => {
    let text: string;
    try {
      text = read(o.path);
    } catch (err) {
      return reject('\0unreadable', err);
    }
    if (text === lastText) {
      lastBad = null;
      return false;
    }
    if (text === lastBad) return false;
    let next: KeyStore;
    try {
      next = compileKeyStore(parseApiKeyFile(text, o.path));
    } catch (err) {
      return reject(text, err);
    }
    lastText = text;
    lastBad = null;
    store = next;
    o.onLoad?.(store);
    o.logger.info('api keys reloaded', { file: o.path, keys: store.size });
    return true;
  };
  let timer: NodeJS.Timeout | null = null;
  const soon = (): void => {
    if (timer === null) {
      timer = setTimeout(() => {
        timer = null;
        reload();
      }, o.settleMs ?? 50);
      timer.unref();
    }
  };
  const name = basename(o.path);
  let watcher: FSWatcher | null = null;
  try {
    // The directory, not the file: atomic renames and symlink swaps replace the file's inode.
    watcher = watch(dirname(o.path), { persistent: false }, (_event, file) => {
      if (file === null || file === name || file.startsWith('..')) soon();
    });
    watcher.on('error', (err) => o.logger.warn('api key directory watch failed; the file is re-read on the period only', { file: o.path, error: err.message }));
  } catch (err) {
    o.logger.warn('api key directory cannot be watched; the file is re-read on the period only', { file: o.path, error: (err as Error).message });
  }
  const periodMs = o.periodMs ?? 30_000;
  const poll = periodMs > 0 ? setInterval(reload, periodMs) : null;
  poll?.unref();
  return {
    current: () => store,
    reload,
    close() {
      watcher?.close();
      if (timer !== null) clearTimeout(timer);
      if (poll !== null) clearInterval(poll);
    },
  };
}
