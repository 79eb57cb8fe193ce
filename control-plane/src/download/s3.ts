// An S3-compatible store as a source: ListObjectsV2 under the prefix (path-style addressing,
// so MinIO and other S3-compatible servers work), each object with a GET; requests are signed
// with AWS Signature V4 (aws4) when AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set.
// AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL select the server, AWS_REGION the region.
import aws4 from 'aws4';
import { DownloadError } from './errors.js';
import { fetchFile } from './fetch-file.js';
import type { Remote, RemoteFile } from './remote.js';

function decodeXml(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
}

/** Keys and sizes of one ListObjectsV2 page, and the token of the next (undefined: last page). */
export function parseListObjects(xml: string): { objects: { key: string; size: number }[]; next?: string } {
  const objects: { key: string; size: number }[] = [];
  for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const key = /<Key>([\s\S]*?)<\/Key>/.exec(m[1])?.[1];
    const size = /<Size>(\d+)<\/Size>/.exec(m[1])?.[1];
    if (key !== undefined) objects.push({ key: decodeXml(key), size: Number(size ?? 0) });
  }
  const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
  const next = /<NextContinuationToken>([\s\S]*?)<\/NextContinuationToken>/.exec(xml)?.[1];
  return truncated && next ? { objects, next: decodeXml(next) } : { objects };
}

/** The S3 remote of `bucket`/`prefix`. */
export function s3Remote(bucket: string, prefix: string, env: Readonly<Record<string, string | undefined>>, fetchImpl: typeof fetch = fetch): Remote {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const endpoint = (env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || `https://s3.${region}.amazonaws.com`).replace(/\/+$/, '');
  const credentials = env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN } : undefined;
  const sign = (url: URL, headers: Record<string, string>): Record<string, string> => {
    if (!credentials) return headers;
    const req = aws4.sign({ host: url.host, path: url.pathname + url.search, method: 'GET', service: 's3', region, headers: { ...headers } }, credentials);
    // fetch sets Host itself (the same value that was signed).
    const { Host: _host, host: _h, ...signed } = req.headers as Record<string, string>;
    void _host;
    void _h;
    return signed;
  };
  const dir = prefix === '' ? '' : prefix.replace(/\/*$/, '/');
  return {
    describe: `s3://${bucket}/${prefix} (${endpoint})`,
    async list(): Promise<RemoteFile[]> {
      const out: RemoteFile[] = [];
      let token: string | undefined;
      do {
        const q = new URLSearchParams({ 'list-type': '2', prefix: dir });
        if (token) q.set('continuation-token', token);
        const url = new URL(`${endpoint}/${bucket}?${q.toString()}`);
        let res: Response;
        try {
          res = await fetchImpl(url, { headers: sign(url, {}) });
        } catch (err) {
          throw new DownloadError(`cannot reach ${endpoint}: ${(err as Error).message} (set AWS_ENDPOINT_URL for an S3-compatible server)`, { cause: err });
        }
        if (res.status === 403) throw new DownloadError(`${endpoint} refused listing s3://${bucket}/${dir} (HTTP 403): check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy`);
        if (res.status === 404) throw new DownloadError(`bucket ${bucket} not found on ${endpoint}`);
        if (!res.ok) throw new DownloadError(`listing s3://${bucket}/${dir} answered HTTP ${res.status}`);
        const page = parseListObjects(await res.text());
        // "Directories" some tools create as empty keys ending in / are not files.
        for (const o of page.objects) if (!o.key.endsWith('/')) out.push({ path: o.key.slice(dir.length), size: o.size });
        token = page.next;
      } while (token);
      return out;
    },
    fetch(file, dest, onProgress) {
      const key = `${dir}${file.path}`.split('/').map(encodeURIComponent).join('/');
      return fetchFile(`${endpoint}/${bucket}/${key}`, dest, { sign, onProgress, fetchImpl });
    },
  };
}
