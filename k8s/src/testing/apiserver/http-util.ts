// HTTP edges of the test API server: bodies (JSON, or YAML for apply patches, 3 MiB limit as
// the real server), answers (JSON, Status errors, Warning headers) and the query parameters
// every write shares.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiStatusError } from './errors.js';
import { fail } from './status.js';
import type { DeleteOptions, WriteOptions } from './core.js';

const MAX_BODY = 3 * 1024 * 1024;

/** The raw body, refused with 413 past the real server's limit. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) {
      const e = fail.badRequest('Request entity too large: limit is 3145728');
      e.status.code = 413;
      e.status.reason = 'RequestEntityTooLarge';
      throw e;
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** JSON (or, with yaml, YAML) of a body; undefined when empty; 400 when unparsable. */
export function parseBody(raw: Buffer, yaml = false): unknown {
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw fail.badRequest(`the body of the request could not be decoded: ${(e as Error).message}`);
  }
}

/** Sends a JSON answer with `Warning: 299` headers. */
export function sendJson(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
  const text = JSON.stringify(body);
  if (warnings.length > 0) res.setHeader('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

/** Sends the Status of an error (unknown errors become 500 InternalError). */
export function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof ApiStatusError ? err : fail.internal((err as Error)?.message ?? String(err));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, e.status.code, e.status);
}

/** The write options of a request. */
export function writeOptions(q: URLSearchParams, userAgent: string | undefined, bodyOpts?: { dryRun?: string[] }): WriteOptions {
  const dry = [...q.getAll('dryRun'), ...(bodyOpts?.dryRun ?? [])];
  for (const d of dry) if (d !== 'All') throw fail.badRequest(`Invalid dry run value: "${d}": supported values: "All"`);
  const fv = q.get('fieldValidation') ?? 'Warn';
  if (!['Strict', 'Warn', 'Ignore'].includes(fv)) throw fail.badRequest(`fieldValidation ${JSON.stringify(fv)} is invalid: valid values are Ignore, Warn, Strict`);
  return { dryRun: dry.length > 0, fieldManager: q.get('fieldManager') ?? undefined, fieldValidation: fv as WriteOptions['fieldValidation'], userAgent: userAgent ?? '', force: q.get('force') === 'true' };
}

/** DeleteOptions from the body and the query (query wins, as it is newer on the wire). */
export function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions & { dryRun?: string[] } {
  const b = (body && typeof body === 'object' ? body : {}) as DeleteOptions & { dryRun?: string[] };
  const out: DeleteOptions & { dryRun?: string[] } = { ...b };
  const pp = q.get('propagationPolicy');
  if (pp) out.propagationPolicy = pp as DeleteOptions['propagationPolicy'];
  if (out.propagationPolicy && !['Background', 'Foreground', 'Orphan'].includes(out.propagationPolicy)) throw fail.badRequest(`Invalid propagationPolicy: ${out.propagationPolicy}`);
  const g = q.get('gracePeriodSeconds');
  if (g !== null) out.gracePeriodSeconds = Number(g);
  return out;
}
