// Triton's model repository as the model repository extension shows it: which models exist
// (the served model, every --load-model name, the subdirectories of --model-repository) and
// which are loaded. In explicit model control mode POST .../load and .../unload change that;
// in the other modes every model is loaded at start and load/unload are refused (503). Pure
// state plus answers as {status, body}; the HTTP edge is in triton.ts.

import { readdirSync } from 'node:fs';

/** One entry of POST /v2/repository/index (a model never loaded has only its name). */
export interface IndexEntry {
  name: string;
  version?: string;
  state?: 'READY' | 'UNAVAILABLE';
  reason?: string;
}

/** An answer of the repository API. */
export interface RepositoryAnswer {
  status: number;
  body: unknown;
}

/** The repository of one Triton simulator. */
export interface TritonRepository {
  /** The index, sorted by name; `readyOnly` keeps the READY models. */
  index(readyOnly: boolean): IndexEntry[];
  /** 'ready', 'unloaded' (was loaded, is not) or 'unknown' (not in the repository, or never loaded: the server does not know it yet). */
  stateOf(name: string): 'ready' | 'unloaded' | 'unknown';
  load(name: string): RepositoryAnswer;
  unload(name: string): RepositoryAnswer;
}

/** The version every simulated repository model has. */
export const TRITON_MODEL_VERSION = '1';

/** Subdirectories of `dir` (none when it is unset or unreadable: the simulator has no real repository). */
export function repositoryDirModels(dir: string | undefined): string[] {
  if (dir === undefined) return [];
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch {
    return [];
  }
}

/**
 * Creates the repository: `models` exist (a `*` among them: any name a load asks for exists, as
 * for a stand-in without a repository directory), and `mode` with `loadModels` says which are
 * loaded at start.
 */
export function createTritonRepository(models: readonly string[], mode: 'none' | 'poll' | 'explicit', loadModels: readonly string[]): TritonRepository {
  const open = models.includes('*');
  const all = new Set([...models, ...loadModels].filter((m) => m !== '*'));
  // undefined: never loaded; true: READY; false: unloaded (UNAVAILABLE).
  const loaded = new Map<string, boolean>();
  for (const m of all) if (mode !== 'explicit' || loadModels.includes('*') || loadModels.includes(m)) loaded.set(m, true);
  const refuse = (): RepositoryAnswer => ({ status: 503, body: { error: 'explicit model load / unload is not allowed if polling is enabled' } });
  return {
    index(readyOnly) {
      const out: IndexEntry[] = [];
      for (const name of [...all].sort()) {
        const l = loaded.get(name);
        if (readyOnly && l !== true) continue;
        if (l === undefined) out.push({ name });
        else if (l) out.push({ name, version: TRITON_MODEL_VERSION, state: 'READY' });
        else out.push({ name, version: TRITON_MODEL_VERSION, state: 'UNAVAILABLE', reason: 'unloaded' });
      }
      return out;
    },
    stateOf(name) {
      const l = loaded.get(name);
      return l === undefined ? 'unknown' : l ? 'ready' : 'unloaded';
    },
    load(name) {
      if (mode !== 'explicit') return refuse();
      if (open) all.add(name);
      if (!all.has(name)) return { status: 500, body: { error: `failed to load '${name}', failed to poll from model repository` } };
      loaded.set(name, true); // a load of a loaded model reloads it
      return { status: 200, body: '' };
    },
    unload(name) {
      if (mode !== 'explicit') return refuse();
      // Unloading a model that is not loaded is not an error in Triton.
      if (loaded.has(name)) loaded.set(name, false);
      return { status: 200, body: '' };
    },
  };
}
