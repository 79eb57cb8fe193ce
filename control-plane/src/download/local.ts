// A directory as a source (hostpath://, or pvc:// mounted under MI_PVC_ROOT): files are copied,
// and a file already copied with the same size is not copied again.
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { DownloadError } from './errors.js';
import type { Remote, RemoteFile } from './remote.js';

function walk(root: string, dir: string, out: RemoteFile[]): void {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(root, p, out);
    else if (st.isFile()) out.push({ path: relative(root, p), size: st.size });
  }
}

/** The remote of a local directory (or of one file). */
export function localRemote(path: string, uri: string): Remote {
  return {
    describe: `${uri} (${path})`,
    async list() {
      if (!existsSync(path)) throw new DownloadError(`${uri}: ${path} does not exist${uri.startsWith('pvc://') ? ' (mount the claim there, or set MI_PVC_ROOT to where claims are mounted)' : ''}`);
      const st = statSync(path);
      if (st.isFile()) return [{ path: path.split('/').pop()!, size: st.size }];
      const out: RemoteFile[] = [];
      walk(path, path, out);
      return out;
    },
    async fetch(file, dest, onProgress) {
      const src = statSync(path).isFile() ? path : join(path, file.path);
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(src, dest);
      const bytes = statSync(dest).size;
      onProgress(bytes, bytes);
      return { bytes, resumed: false };
    },
  };
}
