// The cluster an end-to-end suite runs against: the real one named by KUBECONFIG when it is
// set, otherwise a fresh in-process test API server. Suites written against TestCluster run
// unchanged on both; what only the fixture can do (compaction) is optional.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServerOptions } from './server.js';

/** What an end-to-end suite needs from a cluster. */
export interface TestCluster {
  kind: 'fixture' | 'real';
  kubeConfig: KubeConfig;
  kubeconfigPath: string;
  cacheDir: string;
  /** Forces 410 Gone on resumed watches; only the fixture can (undefined on a real cluster). */
  compact?: () => void;
  /** Waits for in-server controllers (garbage collection); a no-op on a real cluster. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/** A real cluster when KUBECONFIG is set, else the in-process fixture started with `opts`. */
export async function testCluster(opts: TestApiServerOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<TestCluster> {
  const path = env.KUBECONFIG;
  if (path) {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(path.split(':')[0]);
    const dir = mkdtempSync(join(tmpdir(), 'mi-test-cluster-'));
    return { kind: 'real', kubeConfig, kubeconfigPath: path, cacheDir: join(dir, 'cache'), settle: async () => undefined, stop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const s = await startTestApiServer(opts);
  return { kind: 'fixture', kubeConfig: s.kubeConfig, kubeconfigPath: s.kubeconfigPath, cacheDir: s.cacheDir, compact: () => s.compact(), settle: () => s.settle(), stop: () => s.stop() };
}
