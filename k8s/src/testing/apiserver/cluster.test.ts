import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCluster } from './cluster.js';

describe('testCluster', () => {
  it('without KUBECONFIG starts the fixture (which can compact)', async () => {
    const c = await testCluster({}, {});
    try {
      expect(c.kind).to.equal('fixture');
      expect(c.compact).to.be.a('function');
      expect((await fetch(`${c.kubeConfig.getCurrentCluster()!.server}/healthz`)).status).to.equal(200);
    } finally {
      await c.stop();
    }
  });

  it('with KUBECONFIG uses that cluster and offers no compaction', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mi-kc-'));
    const path = join(dir, 'config');
    writeFileSync(path, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n');
    try {
      const c = await testCluster({}, { KUBECONFIG: path });
      expect(c.kind).to.equal('real');
      expect(c.compact).to.equal(undefined);
      expect(c.kubeConfig.getCurrentCluster()!.server).to.equal('https://127.0.0.1:6443');
      await c.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
