// LoRA adapters of a backend: which are loaded at run time by the endpoint controller (and so
// stay out of the Pod templates, whose hash is the ModelInfer revision: adding or removing one
// never restarts a replica), and which must be in the template because an init container has
// to fetch them before the engine starts.
import type { LoraAdapter, ModelBackend } from '../../types.js';
import { downloadDir } from './weights.js';

/**
 * True when the engines of a backend are started able to take adapters (`--enable-lora`): the
 * backend declares `loraAdapters`, even an empty list, so later additions need no restart.
 */
export function loraEnabled(backend: ModelBackend): boolean {
  return Array.isArray(backend.loraAdapters);
}

/**
 * True when the adapter can be given to a running engine as it is: a hub id (`hf://`, the
 * engine downloads it) or a local path (`file://`). `s3://` and `pvc://` need a download first.
 */
export function isRuntimeAdapter(a: LoraAdapter): boolean {
  return a.artifactURL.startsWith('hf://') || a.artifactURL.startsWith('file://');
}

/** What the engine's load API gets as `lora_path`: hub id, local path, or the download directory. */
export function adapterPath(a: LoraAdapter): string {
  if (a.artifactURL.startsWith('hf://')) return a.artifactURL.slice('hf://'.length);
  if (a.artifactURL.startsWith('file://')) return a.artifactURL.slice('file://'.length);
  return downloadDir(a.artifactURL, 'lora');
}

/** Adapters that travel in the template (downloaded by init containers, loaded at start). */
export function startupAdapters(backend: ModelBackend): LoraAdapter[] {
  return (backend.loraAdapters ?? []).filter((a) => !isRuntimeAdapter(a));
}
