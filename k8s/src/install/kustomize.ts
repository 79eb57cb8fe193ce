// A reader for the subset of kustomize the install bundle uses (resources, namespace, images,
// JSON 6902 patches), so `mi install --print` renders k8s/deploy without kubectl. Anything else
// in a kustomization fails loudly instead of being silently ignored.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { INSTALL_ERROR_CODES, InstallError } from './errors.js';
import { applyJsonPatch, setImages, setNamespace, type ImageOverride, type KObject, type PatchOp, type PatchTarget } from './transforms.js';

/** The file access the reader needs; `nodeFiles()` is the real one. */
export interface FileSource {
  read(path: string): string;
  isDirectory(path: string): boolean;
  exists(path: string): boolean;
}

/** File access through node:fs. */
export function nodeFiles(): FileSource {
  return { read: (p) => readFileSync(p, 'utf8'), isDirectory: (p) => statSync(p).isDirectory(), exists: (p) => existsSync(p) };
}

const FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'patches']);

interface Kustomization {
  resources?: string[];
  namespace?: string;
  images?: ImageOverride[];
  patches?: { path?: string; patch?: string; target?: PatchTarget & Record<string, unknown>; options?: unknown }[];
}

const invalid = (message: string, cause?: unknown): InstallError => new InstallError(INSTALL_ERROR_CODES.invalid, message, { cause });

function loadKustomization(dir: string, files: FileSource): { file: string; k: Kustomization } {
  const name = FILE_NAMES.find((n) => files.exists(join(dir, n)));
  if (name === undefined) throw invalid(`${dir}: no ${FILE_NAMES.join(' / ')} in this directory`);
  const file = join(dir, name);
  let raw: unknown;
  try {
    raw = parse(files.read(file));
  } catch (err) {
    throw invalid(`${file}: not YAML: ${(err as Error).message}`, err);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(`${file}: not a kustomization object`);
  for (const key of Object.keys(raw)) {
    if (!SUPPORTED.has(key)) throw new InstallError(INSTALL_ERROR_CODES.unsupported, `${file}: "${key}" is not supported by mi install (use resources, namespace, images, patches), or render with kubectl kustomize`);
  }
  return { file, k: raw as Kustomization };
}

function parseDocs(text: string, file: string): KObject[] {
  const out: KObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw invalid(`${file}: ${doc.errors[0]?.message ?? 'bad YAML'}`);
    const o = doc.toJS() as unknown;
    if (o === null || o === undefined) continue;
    if (typeof o !== 'object' || Array.isArray(o) || !('kind' in o)) throw invalid(`${file}: a document is not a Kubernetes object`);
    out.push(o as KObject);
  }
  return out;
}

/** `kind/namespace/name` with the group: two objects with the same id cannot both be in one bundle. */
function resourceId(o: KObject): string {
  const group = (o.apiVersion ?? '').includes('/') ? (o.apiVersion as string).split('/')[0] : '';
  return `${group}/${o.kind ?? ''}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

function isBelow(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..');
}

function patchOps(entry: NonNullable<Kustomization['patches']>[number], dir: string, files: FileSource, where: string): PatchOp[] {
  if (entry.options !== undefined) throw new InstallError(INSTALL_ERROR_CODES.unsupported, `${where}: patch options are not supported by mi install`);
  let text = entry.patch;
  if (entry.path !== undefined) {
    const p = resolve(dir, entry.path);
    if (!isBelow(dir, p)) throw invalid(`${where}: ${entry.path} is not in or below ${dir}`);
    text = files.read(p);
  }
  if (text === undefined) throw invalid(`${where}: a patch needs path or patch`);
  const ops = parse(text) as unknown;
  if (!Array.isArray(ops)) throw new InstallError(INSTALL_ERROR_CODES.unsupported, `${where}: only JSON 6902 patches (a list of operations) are supported by mi install, not strategic merge`);
  for (const op of ops as PatchOp[]) {
    if (!['add', 'remove', 'replace', 'test'].includes(op?.op)) throw new InstallError(INSTALL_ERROR_CODES.unsupported, `${where}: JSON patch op ${JSON.stringify(op?.op)} is not supported`);
  }
  return ops as PatchOp[];
}

/** Renders the kustomization in `dir` (resources, then patches, namespace, images), unsorted. */
export function buildKustomization(dir: string, files: FileSource = nodeFiles(), visiting: string[] = []): KObject[] {
  const root = resolve(dir);
  for (const v of visiting) {
    if (isBelow(root, v)) throw invalid(`cycle: ${root} contains ${v}, which is being built`);
  }
  const { file, k } = loadKustomization(root, files);
  let objects: KObject[] = [];
  const seen = new Set<string>();
  for (const r of k.resources ?? []) {
    const p = resolve(root, r);
    if (!files.exists(p)) throw invalid(`${file}: resource ${r} does not exist`);
    let add: KObject[];
    if (files.isDirectory(p)) add = buildKustomization(p, files, [...visiting, root]);
    else if (!isBelow(root, p)) throw invalid(`${file}: resource file ${r} is not in or below ${root} (kustomize refuses it too)`);
    else add = parseDocs(files.read(p), p);
    for (const o of add) {
      const id = resourceId(o);
      if (seen.has(id)) throw invalid(`${file}: ${id} is included twice`);
      seen.add(id);
    }
    objects.push(...add);
  }
  for (const [i, entry] of (k.patches ?? []).entries()) {
    const where = `${file}: patches[${i}]`;
    if (entry.target === undefined) throw new InstallError(INSTALL_ERROR_CODES.unsupported, `${where}: a patch without a target is not supported by mi install`);
    const { group, version, kind, name, namespace, ...rest } = entry.target;
    if (Object.keys(rest).length > 0) throw new InstallError(INSTALL_ERROR_CODES.unsupported, `${where}: target selectors ${Object.keys(rest).join(', ')} are not supported by mi install`);
    const target: PatchTarget = { group, version, kind, name, namespace };
    objects = applyJsonPatch(objects, target, patchOps(entry, root, files, where), where);
  }
  if (k.namespace !== undefined) objects = setNamespace(objects, k.namespace);
  if (k.images !== undefined) objects = setImages(objects, k.images);
  return objects;
}
