// Test helpers for the install bundle: where the manifests are, and real kubectl's rendering.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** Absolute path of k8s/deploy. */
export const DEPLOY_DIR = fileURLToPath(new URL('../../deploy/', import.meta.url));

/** The kubectl these machines have (v1.32, kustomize built in), or undefined when absent. */
export function kubectlPath(): string | undefined {
  const p = process.env.KUBECTL ?? '/usr/bin/kubectl';
  return existsSync(p) ? p : undefined;
}

/** `kubectl kustomize dir` parsed into objects; throws with kubectl's stderr when it fails. */
export function kubectlKustomize(kubectl: string, dir: string): Record<string, unknown>[] {
  const text = execFileSync(kubectl, ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>).filter((o) => o !== null);
}

/** `kind/namespace/name` of an object, the identity kubectl apply uses. */
export function objectKey(o: Record<string, unknown>): string {
  const m = (o.metadata ?? {}) as { name?: string; namespace?: string };
  return `${String(o.kind)}/${m.namespace ?? ''}/${m.name ?? ''}`;
}
