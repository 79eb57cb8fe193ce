// Real kubectl (/usr/bin/kubectl, or $KUBECTL) against a test cluster: one call, its exit code
// and output, with the cluster's kubeconfig and a private discovery cache.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What one kubectl run printed. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The kubectl binary to use, or undefined when the machine has none. */
export function kubectlPath(): string | undefined {
  const p = process.env.KUBECTL ?? '/usr/bin/kubectl';
  return existsSync(p) ? p : undefined;
}

/** Runs kubectl with `args` (stdin from `input`) against a kubeconfig; never rejects on a non-zero exit. */
export function kubectl(cluster: { kubeconfigPath: string; cacheDir: string }, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
  const bin = kubectlPath();
  if (!bin) return Promise.resolve({ code: 127, stdout: '', stderr: 'kubectl not found (set KUBECTL)' });
  return new Promise((resolve) => {
    const child = execFile(bin, [`--kubeconfig=${cluster.kubeconfigPath}`, `--cache-dir=${cluster.cacheDir}`, ...args], { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}
