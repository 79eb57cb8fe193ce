// `mi install --print` renders the same objects, in the same order, as real kubectl's kustomize:
// for k8s/deploy, for the nats-cluster overlay, and for an overlay setting image and namespace.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import type { CliIO } from '@matrixinfer/control-plane';
import { runK8sCli } from '../cli/mi-k8s.js';
import { renderInstallBundle, toYamlStream, type BundleOptions } from './bundle.js';
import { DEPLOY_DIR, kubectlKustomize, kubectlPath } from './testing.js';

const parseStream = (text: string): unknown[] => parseAllDocuments(text).map((d) => d.toJS() as unknown).filter((o) => o !== null);

function captured(): { io: CliIO; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t) => void out.push(t), err: (t) => void err.push(t), stdin: process.stdin, env: {}, nowMs: () => 0 } };
}

describe('mi install --print', () => {
  describe('same objects as kubectl kustomize', function () {
    const kubectl = kubectlPath();
    let tmp = '';
    before(function () {
      // Stated reason: the comparison needs real kustomize, which ships inside kubectl.
      if (!kubectl) this.skip();
      tmp = mkdtempSync(join(tmpdir(), 'mi-install-'));
    });
    after(() => {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    const cases: { name: string; opts: BundleOptions; overlay?: string }[] = [
      { name: 'k8s/deploy', opts: {} },
      { name: 'overlays/nats-cluster', opts: { overlay: 'nats-cluster' } },
      { name: 'overlays/api-keys', opts: { overlay: 'api-keys' } },
      { name: '--image with a tag and --namespace', opts: { image: 'registry.example.com:5000/team/matrixinfer:1.2.3', namespace: 'llm-serving' }, overlay: 'namespace: llm-serving\nimages:\n- name: matrixinfer\n  newName: registry.example.com:5000/team/matrixinfer\n  newTag: 1.2.3\n' },
      { name: '--image with a digest', opts: { image: `registry.example.com/matrixinfer@sha256:${'ab'.repeat(32)}` }, overlay: `images:\n- name: matrixinfer\n  newName: registry.example.com/matrixinfer\n  digest: sha256:${'ab'.repeat(32)}\n` },
      { name: '--image without a tag keeps the bundle tag', opts: { image: 'registry.example.com/matrixinfer' }, overlay: 'images:\n- name: matrixinfer\n  newName: registry.example.com/matrixinfer\n' },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        let dir = tc.opts.overlay !== undefined ? join(DEPLOY_DIR, 'overlays', tc.opts.overlay) : DEPLOY_DIR;
        if (tc.overlay !== undefined) {
          // What a user writes to override image and namespace: an overlay on k8s/deploy (kustomize wants a relative path).
          dir = mkdtempSync(join(tmp, 'overlay-'));
          writeFileSync(join(dir, 'kustomization.yaml'), `resources:\n- ${relative(dir, DEPLOY_DIR)}\n${tc.overlay}`);
        }
        const want = kubectlKustomize(kubectl as string, dir);
        const got = parseStream(toYamlStream(renderInstallBundle(tc.opts)));
        expect(got.length).to.be.greaterThan(20);
        expect(got).to.deep.equal(want);
      });
    }
  });

  it('prints the bundle through mi-k8s, and refuses to run without --print (exit 1)', async () => {
    const ok = captured();
    expect(await runK8sCli(['install', '--print', '--namespace', 'team-a'], ok.io)).to.equal(0);
    expect(parseStream(ok.out.join(''))).to.deep.equal(parseStream(toYamlStream(renderInstallBundle({ namespace: 'team-a' }))));
    const bare = captured();
    expect(await runK8sCli(['install'], bare.io)).to.equal(1);
    expect(bare.err.join('\n')).to.match(/--print/);
    const bad = captured();
    expect(await runK8sCli(['install', '--print', '--namespace', 'Not_A_Namespace'], bad.io)).to.equal(1);
    expect(bad.out).to.deep.equal([]);
  });

  it('`mi install --print` (forwarded by mi to mi-k8s) writes the whole stream to a pipe', () => {
    const mi = fileURLToPath(new URL('../../../control-plane/src/cli/mi.ts', import.meta.url));
    const text = execFileSync(process.execPath, ['--import', 'tsx', mi, 'install', '--print', '--image', 'reg.example.com/matrixinfer:9'], { encoding: 'utf8' });
    expect(parseStream(text)).to.deep.equal(parseStream(toYamlStream(renderInstallBundle({ image: 'reg.example.com/matrixinfer:9' }))));
    expect(text).to.include('image: reg.example.com/matrixinfer:9');
  });
});
