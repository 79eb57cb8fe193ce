// Weights on one machine: the `mi download` init containers the Model controller put in the Pod
// template run before the engine process, as on Kubernetes, into `<dataDir>/models` standing in
// for the template's /models volume (shared by every instance, so replicas download once: the
// downloader's lock and done marker see to it); the engine's args and env naming /models are
// pointed there too. Only for a real engine: the simulator needs no weights.
import { join } from 'node:path';
import type { InstanceSpec } from '@matrixinfer/events';
import { MODELS_DIR } from '../controllers/model/engine/weights.js';

/** One download an init container asks for, with the local output directory. */
export interface LocalDownload {
  name: string;
  source: string;
  outputDir: string;
}

function localPath(p: string, root: string): string {
  return p === MODELS_DIR || p.startsWith(`${MODELS_DIR}/`) ? join(root, p.slice(MODELS_DIR.length)) : p;
}

function rewrite(s: string, root: string): string {
  // Arguments may embed the path (`--model=/models/x`, `name=/models/lora`).
  return s.replace(/(^|[=\s,:])\/models(?=\/|$|[\s,])/g, (_m, pre: string) => `${pre}${root}`);
}

/** The downloads of the spec's template (init containers running `mi download`), mapped under `root`. */
export function localDownloads(spec: InstanceSpec, root: string): LocalDownload[] {
  const inits = (spec.template?.spec as { initContainers?: { name?: string; command?: string[]; args?: string[] }[] } | undefined)?.initContainers ?? [];
  const out: LocalDownload[] = [];
  for (const c of inits) {
    if (c.command?.[0] !== 'mi' || c.command[1] !== 'download') continue;
    const args = [...c.command.slice(2), ...(c.args ?? [])];
    const source = args[args.indexOf('--source') + 1];
    const dir = args[args.indexOf('--output-dir') + 1];
    if (args.indexOf('--source') < 0 || args.indexOf('--output-dir') < 0 || !source || !dir) continue;
    out.push({ name: c.name ?? 'download', source, outputDir: localPath(dir, root) });
  }
  return out;
}

/** The spec with /models in its command, args and env pointed at `root`. */
export function withLocalModels(spec: InstanceSpec, root: string): InstanceSpec {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.env)) env[k] = rewrite(v, root);
  return { ...spec, command: spec.command.map((a) => rewrite(a, root)), args: spec.args.map((a) => rewrite(a, root)), env };
}
