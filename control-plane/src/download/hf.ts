// Hugging Face Hub as a source: the file list of a repository at a revision from the Hub API
// (`/api/models/<repo>/revision/<rev>?blobs=true`, which gives sizes), each file from
// `/<repo>/resolve/<rev>/<path>`. HF_ENDPOINT selects a mirror, HF_TOKEN authenticates.
import { DownloadError } from './errors.js';
import { fetchFile } from './fetch-file.js';
import type { Remote, RemoteFile } from './remote.js';

/** The Hub remote of `repo` at `revision`. */
export function hfRemote(repo: string, revision: string, env: Readonly<Record<string, string | undefined>>, fetchImpl: typeof fetch = fetch): Remote {
  const endpoint = (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
  const token = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const rev = encodeURIComponent(revision);
  return {
    describe: `hf://${repo}@${revision} (${endpoint})`,
    async list(): Promise<RemoteFile[]> {
      const url = `${endpoint}/api/models/${repo}/revision/${rev}?blobs=true`;
      let res: Response;
      try {
        res = await fetchImpl(url, { headers });
      } catch (err) {
        throw new DownloadError(`cannot reach ${endpoint}: ${(err as Error).message} (set HF_ENDPOINT to a mirror if the Hub is not reachable)`, { cause: err });
      }
      if (res.status === 401 || res.status === 403) throw new DownloadError(`${endpoint} refused ${repo} (HTTP ${res.status}): a gated or private repository needs HF_TOKEN`);
      if (res.status === 404) throw new DownloadError(`${repo} at revision ${revision} not found on ${endpoint}`);
      if (!res.ok) throw new DownloadError(`listing ${repo} on ${endpoint} answered HTTP ${res.status}`);
      const body = (await res.json()) as { siblings?: { rfilename?: unknown; size?: unknown }[] };
      if (!Array.isArray(body.siblings)) throw new DownloadError(`${endpoint} sent no file list for ${repo} (no "siblings" in the answer)`);
      return body.siblings
        .filter((s) => typeof s.rfilename === 'string')
        .map((s) => ({ path: s.rfilename as string, ...(typeof s.size === 'number' ? { size: s.size } : {}) }));
    },
    fetch(file, dest, onProgress) {
      const path = file.path.split('/').map(encodeURIComponent).join('/');
      return fetchFile(`${endpoint}/${repo}/resolve/${rev}/${path}`, dest, { headers, onProgress, fetchImpl });
    },
  };
}
