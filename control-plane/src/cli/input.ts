// Reads what `mi apply -f` points at: one file, a directory of manifests, or stdin (`-`).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { BadArgumentError } from '../api/errors.js';

/** One manifest text with the name it is reported under. */
export interface ManifestText {
  text: string;
  source: string;
}

const MANIFEST_EXT = new Set(['.yaml', '.yml', '.json']);

/** Reads all of a readable stream as UTF-8 (used for stdin). */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Expands `-f` arguments into manifest texts: `-` is stdin, a directory gives its .yaml/.yml/.json
 * files sorted by name (not recursive, like kubectl without -R), anything else is one file.
 */
export async function readManifests(paths: string[], stdin: NodeJS.ReadableStream): Promise<ManifestText[]> {
  const out: ManifestText[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push({ text: await readAll(stdin), source: '-' });
      continue;
    }
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      throw new BadArgumentError(`cannot read ${p}: no such file or directory`);
    }
    if (!isDir) {
      out.push({ text: readFileSync(p, 'utf8'), source: p });
      continue;
    }
    const files = readdirSync(p)
      .filter((f) => MANIFEST_EXT.has(extname(f).toLowerCase()))
      .sort();
    if (files.length === 0) throw new BadArgumentError(`${p} holds no .yaml, .yml or .json file`);
    for (const f of files) out.push({ text: readFileSync(join(p, f), 'utf8'), source: join(p, f) });
  }
  return out;
}
