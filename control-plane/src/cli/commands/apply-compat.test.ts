// Every MatrixInfer example (../shared/compat/matrixinfer/examples) applies unchanged with
// `mi apply --dry-run`, except the one with a real typo, which is rejected at its path.
import { expect } from 'chai';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runMi } from '../mi.js';
import { REPO_ROOT, captureIO } from '../testing.js';

const CORPUS = join(REPO_ROOT, '..', 'shared', 'compat', 'matrixinfer', 'examples');
/** The example with a real typo in MatrixInfer's repository (`replicase`). */
const TYPO = join('model', 'Qwen2.5-Coder-32B-Instruct.yaml');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) return yamlFiles(p);
      return /\.ya?ml$/.test(f) ? [p] : [];
    });
}

describe('mi apply --dry-run on MatrixInfer examples', function () {
  this.timeout(60_000);
  if (!existsSync(CORPUS)) {
    it('needs ../shared/compat/matrixinfer/examples', function () {
      this.skip(); // the compatibility corpus lives beside the repository, not in it
    });
    return;
  }
  const files = yamlFiles(CORPUS);

  it('finds the examples', () => {
    expect(files.length).to.be.greaterThan(5);
    expect(files.map((f) => relative(CORPUS, f))).to.include(TYPO);
  });

  for (const file of files.filter((f) => relative(CORPUS, f) !== TYPO)) {
    it(`${relative(CORPUS, file)}: valid`, async () => {
      const c = captureIO();
      const code = await runMi(['apply', '--dry-run', '-f', file], c.io);
      expect(c.err, c.err.join('\n')).to.deep.equal([]);
      expect(code).to.equal(0);
      expect(c.out.length).to.be.greaterThan(0);
      for (const line of c.out) expect(line).to.match(/^[a-z]+\/[-a-z0-9.]+ valid$/);
    });
  }

  it(`${TYPO}: rejects replicase with its path and "did you mean replicas"`, async () => {
    const c = captureIO();
    const code = await runMi(['apply', '--dry-run', '-f', join(CORPUS, TYPO)], c.io);
    expect(code).to.not.equal(0);
    expect(c.out).to.deep.equal([]);
    const problems = c.err.filter((l) => l.includes(': '));
    expect(problems).to.have.length.greaterThan(0);
    expect(problems[0]).to.include('Model/qwen25: spec.backends[0].workers[0].replicase: is not a known field (did you mean "replicas"?)');
    // Only the typo: everything else in that file is valid.
    expect(c.err.filter((l) => l.includes('Model/qwen25:'))).to.have.length(1);
  });
});
