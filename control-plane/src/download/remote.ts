// What the orchestrator needs from a source: the files it holds and how to fetch one.

/** One file of a source. */
export interface RemoteFile {
  /** Path relative to the source root (checked with safeRelative before use). */
  path: string;
  /** Size in bytes when the source says (a complete local copy of that size is not fetched again). */
  size?: number;
}

/** A source of files. */
export interface Remote {
  /** Human name for logs, e.g. `hf://Qwen/Qwen2.5-0.5B@main`. */
  describe: string;
  list(): Promise<RemoteFile[]>;
  fetch(file: RemoteFile, dest: string, onProgress: (done: number, total: number | undefined) => void): Promise<{ bytes: number; resumed: boolean }>;
}
