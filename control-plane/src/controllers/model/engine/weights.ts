// Weights of a backend on Kubernetes: a volume the downloads land in (the cacheURI's hostPath or
// PVC, else an emptyDir), init containers running our downloader (`mi download`) for modelURI
// and for each LoRA adapter with a downloadable URI, and the local paths the engine reads.
import type { Container, EnvVar } from '../../types.js';

/** Image of the `mi` CLI (its `mi download` is what the init containers run). */
export const DOWNLOADER_IMAGE = 'matrixinfer/mi:latest';
/** Where the weights volume is mounted in the init and engine containers. */
export const MODELS_DIR = '/models';
/** Name of the weights volume. */
export const MODELS_VOLUME = 'models';

const DOWNLOADABLE = /^(hf|s3|pvc|hostpath):\/\//;

/** True when `uri` names a source `mi download` fetches (hf://, s3://, pvc://, hostpath://). */
export function isDownloadable(uri: string | undefined): uri is string {
  return typeof uri === 'string' && DOWNLOADABLE.test(uri);
}

/**
 * Directory under MODELS_DIR a source is downloaded to: the URI without its scheme, so Models
 * sharing a cache share a download (`hf://Qwen/Qwen2.5-0.5B` -> `/models/Qwen/Qwen2.5-0.5B`).
 * `.` and `..` segments are dropped: a URI cannot point outside the volume.
 */
export function downloadDir(uri: string, under = ''): string {
  const rest = uri.replace(/^[a-z0-9+.-]+:\/\//i, '');
  const parts = rest.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  return [MODELS_DIR, ...(under ? [under] : []), ...parts].join('/');
}

/** The Kubernetes volume of the cache: hostPath for hostpath://, a PVC for pvc://, else emptyDir. */
export function cacheVolume(cacheURI: string | undefined): { volume: Record<string, unknown>; subPath?: string } {
  if (cacheURI?.startsWith('hostpath://')) {
    const path = '/' + cacheURI.slice('hostpath://'.length).replace(/^\/+/, '');
    return { volume: { name: MODELS_VOLUME, hostPath: { path: path.length > 1 ? path.replace(/\/+$/, '') : path, type: 'DirectoryOrCreate' } } };
  }
  if (cacheURI?.startsWith('pvc://')) {
    const [claimName, ...sub] = cacheURI.slice('pvc://'.length).split('/').filter(Boolean);
    const out: { volume: Record<string, unknown>; subPath?: string } = { volume: { name: MODELS_VOLUME, persistentVolumeClaim: { claimName } } };
    if (sub.length > 0) out.subPath = sub.join('/');
    return out;
  }
  return { volume: { name: MODELS_VOLUME, emptyDir: {} } };
}

/** The mount of the weights volume (with the PVC sub-path of the cache, if any). */
export function modelsMount(cacheURI: string | undefined): Record<string, unknown> {
  const { subPath } = cacheVolume(cacheURI);
  return subPath ? { name: MODELS_VOLUME, mountPath: MODELS_DIR, subPath } : { name: MODELS_VOLUME, mountPath: MODELS_DIR };
}

/** One download step: what `mi download` fetches and where it puts it. */
export interface Download {
  name: string;
  source: string;
  outputDir: string;
}

/** The init container of one download; it sees the backend's env and envFrom (tokens, S3 keys). */
export function downloadContainer(d: Download, cacheURI: string | undefined, env: EnvVar[], envFrom: NonNullable<Container['envFrom']>): Container {
  const c: Container = {
    name: d.name,
    image: DOWNLOADER_IMAGE,
    command: ['mi', 'download'],
    args: ['--source', d.source, '--output-dir', d.outputDir],
    volumeMounts: [modelsMount(cacheURI)],
  };
  if (env.length > 0) c.env = env;
  if (envFrom.length > 0) c.envFrom = envFrom;
  return c;
}
