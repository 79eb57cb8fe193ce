// `mi apply --dry-run` as a user runs it: a child process, no NATS, exit code and output.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMi } from '../mi.js';
import { REPO_ROOT, captureIO, runMiProcess } from '../testing.js';

const MODEL = (name: string) => `apiVersion: registry.matrixinfer.ai/v1alpha1
kind: Model
metadata:
  name: ${name}
spec:
  backends:
    - name: sim
      type: vLLM
      modelURI: hf://org/m
      maxReplicas: 2
      workers: [{ type: server }]
`;

const BAD = `apiVersion: registry.matrixinfer.ai/v1alpha1
kind: Model
metadata:
  name: Bad.Name
spec:
  backends:
    - name: sim
      type: vLLMx
      modelURI: hf://org/m
      maxReplicas: 0
      workers: [{ type: server }]
`;

describe('mi apply --dry-run (child process, no NATS)', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mi-dry-'));
    writeFileSync(join(dir, 'good.yaml'), `${MODEL('alpha')}---\n${MODEL('beta')}`);
    writeFileSync(join(dir, 'bad.yaml'), BAD);
    mkdirSync(join(dir, 'manifests'));
    writeFileSync(join(dir, 'manifests', '20-b.yml'), MODEL('second'));
    writeFileSync(join(dir, 'manifests', '10-a.json'), JSON.stringify({ apiVersion: 'registry.matrixinfer.ai/v1alpha1', kind: 'Model', metadata: { name: 'first' }, spec: { backends: [{ name: 'b', type: 'SGLang', modelURI: 'hf://x/y', maxReplicas: 1, workers: [{ type: 'server' }] }] } }));
    writeFileSync(join(dir, 'manifests', 'README.md'), 'not a manifest');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints kind/name valid per document of a multi-document file and exits 0', async () => {
    const r = await runMiProcess(['apply', '--dry-run', '-f', join(dir, 'good.yaml')]);
    expect(r.stderr).to.equal('');
    expect(r.stdout.trim().split('\n')).to.deep.equal(['model/alpha valid', 'model/beta valid']);
    expect(r.code).to.equal(0);
  });

  it('validates the quickstart example', async () => {
    const c = captureIO();
    expect(await runMi(['apply', '--dry-run', '-f', join(REPO_ROOT, 'examples', 'quickstart.yaml')], c.io)).to.equal(0);
    expect(c.out).to.deep.equal(['model/llama valid']);
  });

  it('reads a directory in name order, skipping non-manifest files, and stdin with -f -', async () => {
    const c = captureIO({ stdinText: MODEL('from-stdin') });
    expect(await runMi(['apply', '--dry-run', '-f', join(dir, 'manifests'), '-f', '-'], c.io)).to.equal(0);
    expect(c.out).to.deep.equal(['model/first valid', 'model/second valid', 'model/from-stdin valid']);
  });

  it('prints every error (source#doc Kind/name: path: message), prints no valid line, exits 1', async () => {
    const r = await runMiProcess(['apply', '--dry-run', '-f', join(dir, 'good.yaml'), '-f', join(dir, 'bad.yaml')]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('');
    const lines = r.stderr.trim().split('\n');
    const bad = join(dir, 'bad.yaml');
    expect(lines).to.include.members([
      `${bad}#0 Model/Bad.Name: metadata.name: must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters (got "Bad.Name")`,
    ]);
    expect(lines.some((l) => l.startsWith(`${bad}#0 Model/Bad.Name: spec.backends[0].type: `))).to.equal(true);
    expect(lines.some((l) => l.startsWith(`${bad}#0 Model/Bad.Name: spec.backends[0].maxReplicas: `))).to.equal(true);
    expect(lines[lines.length - 1]).to.match(/^error: \d+ validation error\(s\); nothing was submitted$/);
  });

  it('reports YAML syntax errors with their line and a missing file clearly', async () => {
    const c = captureIO({ stdinText: 'kind: Model\nmetadata: {name: x\n' });
    expect(await runMi(['apply', '--dry-run', '-f', '-'], c.io)).to.equal(1);
    expect(c.err[0]).to.match(/^-#0 <no kind>\/<no name>: line \d+:\d+: /);
    const missing = captureIO();
    expect(await runMi(['apply', '--dry-run', '-f', join(dir, 'nope.yaml')], missing.io)).to.equal(1);
    expect(missing.err.join('\n')).to.contain('no such file or directory');
  });

  it('rejects a document whose namespace differs from -n, and a resourceVersion that is not a revision', async () => {
    const c = captureIO({ stdinText: MODEL('x').replace('  name: x', '  name: x\n  namespace: team-a') });
    expect(await runMi(['apply', '--dry-run', '-n', 'team-b', '-f', '-'], c.io)).to.equal(1);
    expect(c.err[0]).to.equal('-#0 Model/x: metadata.namespace: is "team-a" but the namespace asked for (-n, ?namespace=) is "team-b"');
    const rv = captureIO({ stdinText: MODEL('x').replace('  name: x', '  name: x\n  resourceVersion: latest') });
    expect(await runMi(['apply', '--dry-run', '-f', '-'], rv.io)).to.equal(1);
    expect(rv.err[0]).to.equal('-#0 Model/x: metadata.resourceVersion: must be a revision number as `mi get` shows it (got "latest")');
  });
});
