// The manifests the e2e scenarios apply: a Model of the built-in simulator with cheap, fast
// settings (the `cpu-small` profile), whose engine arguments a test can change.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ModelManifestOptions {
  name: string;
  replicas?: number;
  /** Inter-token latency argument of the simulator; changing it changes the engine args. */
  itlMs?: number;
}

/** A Model served by `replicas` simulator replicas (vLLM flavour, cpu-small profile). */
export function modelYaml(o: ModelManifestOptions): string {
  const replicas = o.replicas ?? 2;
  return [
    'apiVersion: registry.matrixinfer.ai/v1alpha1',
    'kind: Model',
    'metadata:',
    `  name: ${o.name}`,
    'spec:',
    `  name: ${o.name}`,
    '  owner: e2e',
    '  backends:',
    '    - name: sim',
    '      type: vLLM',
    '      modelURI: hf://e2e/tiny',
    `      minReplicas: ${replicas}`,
    `      maxReplicas: ${replicas + 2}`,
    '      workers:',
    '        - type: server',
    '          replicas: 1',
    '          config:',
    '            profile: cpu-small',
    `            itl-ms: ${o.itlMs ?? 1}`,
    '',
  ].join('\n');
}

/** Writes `text` to `<dir>/<file>` and returns the path. */
export function writeManifest(dir: string, file: string, text: string): string {
  const path = join(dir, file);
  writeFileSync(path, text);
  return path;
}
