// Parsing a weights URI into the source `mi download` fetches from, and the relative file paths
// a source lists into safe paths under the output directory. Pure.
import { DownloadError } from './errors.js';

/** A parsed source URI. */
export type Source =
  | { kind: 'hf'; repo: string; revision: string }
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'local'; path: string; uri: string };

/** `hf://org/repo[@rev]`, `s3://bucket/prefix`, `hostpath:///abs/path`, `pvc://claim/sub` (under `pvcRoot`). */
export function parseSource(uri: string, pvcRoot: string): Source {
  const m = /^([a-z0-9]+):\/\/(.*)$/.exec(uri);
  if (!m) throw new DownloadError(`--source ${JSON.stringify(uri)} is not a URI: expected hf://ORG/REPO, s3://BUCKET/PREFIX, hostpath:///PATH or pvc://CLAIM/PATH`);
  const [, scheme, rest] = m;
  const parts = rest.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '..' || p === '.')) throw new DownloadError(`--source ${uri}: "." and ".." are not allowed in the path`);
  switch (scheme) {
    case 'hf': {
      const [repoPath, revision = 'main'] = rest.replace(/^\/+|\/+$/g, '').split('@');
      if (!/^[\w.-]+\/[\w.-]+$/.test(repoPath)) throw new DownloadError(`--source ${uri}: a Hugging Face source is hf://ORG/REPO (optionally @REVISION)`);
      return { kind: 'hf', repo: repoPath, revision };
    }
    case 's3': {
      if (parts.length === 0) throw new DownloadError(`--source ${uri}: an S3 source is s3://BUCKET/PREFIX`);
      return { kind: 's3', bucket: parts[0], prefix: parts.slice(1).join('/') };
    }
    case 'hostpath':
      if (parts.length === 0) throw new DownloadError(`--source ${uri}: a host path source is hostpath:///ABSOLUTE/PATH`);
      return { kind: 'local', path: '/' + parts.join('/'), uri };
    case 'pvc':
      if (parts.length === 0) throw new DownloadError(`--source ${uri}: a PVC source is pvc://CLAIM/PATH`);
      return { kind: 'local', path: [pvcRoot.replace(/\/+$/, ''), ...parts].join('/'), uri };
    default:
      throw new DownloadError(`--source ${uri}: unknown scheme ${scheme}:// (hf, s3, hostpath and pvc are supported)`);
  }
}

/** A listed file's path, checked: relative, no `.`/`..` segments, no empty name (else DownloadError). */
export function safeRelative(path: string): string {
  const parts = path.split('/').filter((p) => p !== '');
  if (path.startsWith('/') || parts.length === 0 || parts.some((p) => p === '.' || p === '..')) throw new DownloadError(`the source lists an unsafe file name ${JSON.stringify(path)}; refusing to write outside the output directory`);
  return parts.join('/');
}

/** Human size: 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}
