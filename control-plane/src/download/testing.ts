// Fixture servers for the downloader tests, on 127.0.0.1 only: a Hugging Face Hub-shaped server
// (file list API and resolve URLs, Range requests) and an S3-compatible one (ListObjectsV2 with
// pages, GET with Range, Signature V4 checked by signing the request again with aws4).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import aws4 from 'aws4';

export interface FixtureServer {
  url: string;
  /** Requests seen, as `METHOD path` (with the Range header when there was one). */
  requests: string[];
  close(): Promise<void>;
}

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

function sendBody(req: IncomingMessage, res: ServerResponse, body: Buffer, cutAfter?: number): void {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  if (m && start >= body.length) {
    res.writeHead(416).end();
    return;
  }
  const slice = body.subarray(start);
  res.writeHead(m ? 206 : 200, { 'content-length': String(slice.length), ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
  if (cutAfter !== undefined) {
    // A connection closed in the middle of the file: the bytes sent arrive (FIN after them,
    // not a reset that could discard them), then the body ends short of its content-length.
    res.write(slice.subarray(0, cutAfter), () => setTimeout(() => res.socket?.end(), 20));
    return;
  }
  res.end(slice);
}

export interface HubFixtureOptions {
  repo: string;
  files: Record<string, Buffer>;
  /** Required bearer token (401 without it). */
  token?: string;
  /** Drop the connection of the first GET of this file after `bytes`. */
  cut?: { file: string; bytes: number };
}

/** A Hub-shaped server for one repository at revision `main`. */
export async function startHubFixture(o: HubFixtureOptions): Promise<FixtureServer> {
  const requests: string[] = [];
  let cut = o.cut;
  const { server, url } = await listen((req, res) => {
    const path = decodeURIComponent((req.url ?? '').split('?')[0]);
    requests.push(`${req.method} ${path}${req.headers.range ? ` ${req.headers.range}` : ''}`);
    if (o.token && req.headers.authorization !== `Bearer ${o.token}`) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"Invalid credentials"}');
    if (path === `/api/models/${o.repo}/revision/main`) {
      const siblings = Object.entries(o.files).map(([rfilename, b]) => ({ rfilename, size: b.length }));
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: o.repo, sha: 'abc', siblings }));
    }
    const prefix = `/${o.repo}/resolve/main/`;
    if (path.startsWith(prefix) && o.files[path.slice(prefix.length)]) {
      const file = path.slice(prefix.length);
      const c = cut?.file === file ? cut : undefined;
      if (c) cut = undefined;
      return sendBody(req, res, o.files[file], c?.bytes);
    }
    res.writeHead(404).end('{"error":"Repository not found"}');
  });
  return { url, requests, close: () => new Promise((r) => server.close(() => r())) };
}

export interface S3FixtureOptions {
  bucket: string;
  objects: Record<string, Buffer>;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Keys per ListObjectsV2 page (default 2, so listing pages). */
  pageSize?: number;
}

function signatureOk(req: IncomingMessage, o: S3FixtureOptions): boolean {
  const auth = req.headers.authorization ?? '';
  const date = req.headers['x-amz-date'];
  if (!auth.startsWith(`AWS4-HMAC-SHA256 Credential=${o.accessKeyId}/`) || typeof date !== 'string') return false;
  const headers: Record<string, string> = { 'x-amz-date': date };
  if (typeof req.headers.range === 'string') headers.range = req.headers.range;
  const again = aws4.sign({ host: req.headers.host, path: req.url, method: req.method, service: 's3', region: o.region, headers }, { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey });
  return (again.headers as Record<string, string>).Authorization === auth;
}

/** An S3-compatible server with one bucket (path-style). */
export async function startS3Fixture(o: S3FixtureOptions): Promise<FixtureServer> {
  const requests: string[] = [];
  const page = o.pageSize ?? 2;
  const { server, url } = await listen((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${u.pathname}${u.search}${req.headers.range ? ` ${req.headers.range}` : ''}`);
    if (!signatureOk(req, o)) return void res.writeHead(403).end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
    if (u.pathname === `/${o.bucket}` && u.searchParams.get('list-type') === '2') {
      const prefix = u.searchParams.get('prefix') ?? '';
      const keys = Object.keys(o.objects).filter((k) => k.startsWith(prefix)).sort();
      const from = Number(u.searchParams.get('continuation-token') ?? '0');
      const slice = keys.slice(from, from + page);
      const more = from + page < keys.length;
      const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
      const xml = `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${o.bucket}</Name><Prefix>${esc(prefix)}</Prefix><KeyCount>${slice.length}</KeyCount><IsTruncated>${more}</IsTruncated>${more ? `<NextContinuationToken>${from + page}</NextContinuationToken>` : ''}${slice.map((k) => `<Contents><Key>${esc(k)}</Key><Size>${o.objects[k].length}</Size></Contents>`).join('')}</ListBucketResult>`;
      return void res.writeHead(200, { 'content-type': 'application/xml' }).end(xml);
    }
    const key = decodeURIComponent(u.pathname.slice(`/${o.bucket}/`.length));
    if (u.pathname.startsWith(`/${o.bucket}/`) && o.objects[key]) return sendBody(req, res, o.objects[key]);
    res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>');
  });
  return { url, requests, close: () => new Promise((r) => server.close(() => r())) };
}
