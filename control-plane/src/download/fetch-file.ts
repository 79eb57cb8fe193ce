// One file over HTTP into the output directory, resumable: bytes land in `<file>.part` and a
// later run asks for the rest with a Range header (a server that ignores it sends everything
// again, and the part file restarts). The file appears under its name only when complete.
import { createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DownloadError } from './errors.js';

export interface FetchFileOptions {
  headers?: Record<string, string>;
  /** Headers computed per request (signed requests depend on the Range header). */
  sign?: (url: URL, headers: Record<string, string>) => Record<string, string>;
  /** Called with bytes so far and the total (undefined when the server does not say). */
  onProgress?: (done: number, total: number | undefined) => void;
  fetchImpl?: typeof fetch;
}

/** Downloads `url` to `dest`; resolves with the bytes on disk and whether a part file was resumed. */
export async function fetchFile(url: string, dest: string, o: FetchFileOptions = {}): Promise<{ bytes: number; resumed: boolean }> {
  mkdirSync(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const have = existsSync(part) ? statSync(part).size : 0;
  let headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (have > 0) headers.range = `bytes=${have}-`;
  if (o.sign) headers = o.sign(new URL(url), headers);
  const res = await (o.fetchImpl ?? fetch)(url, { headers, redirect: 'follow' });
  // The part is already the whole file (a crash between the last byte and the rename).
  if (res.status === 416 && have > 0) {
    renameSync(part, dest);
    return { bytes: have, resumed: true };
  }
  if (res.status !== 200 && res.status !== 206) {
    const body = (await res.text().catch(() => '')).slice(0, 200);
    throw new DownloadError(`GET ${url} answered HTTP ${res.status}${body ? `: ${body}` : ''}`);
  }
  const resumed = res.status === 206 && have > 0;
  const start = resumed ? have : 0;
  const length = Number(res.headers.get('content-length'));
  const total = Number.isFinite(length) && res.headers.get('content-length') !== null ? start + length : undefined;
  let done = start;
  const counted = Readable.fromWeb(res.body as never);
  counted.on('data', (chunk: Buffer) => {
    done += chunk.length;
    o.onProgress?.(done, total);
  });
  await pipeline(counted, createWriteStream(part, { flags: resumed ? 'a' : 'w' }));
  if (total !== undefined && done !== total) throw new DownloadError(`GET ${url}: the connection ended after ${done} of ${total} bytes; run again to resume`);
  renameSync(part, dest);
  return { bytes: done, resumed };
}
