// The Dockerfile, checked statically (no docker engine here): what it copies exists and is not
// ignored, every workspace reaches the image, the runtime needs nothing from devDependencies,
// and the manifests run commands the image has.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');

interface Instruction { op: string; args: string }

/** Dockerfile instructions with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ');
  return joined.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const [op, ...rest] = l.split(/\s+/);
    return { op: (op as string).toUpperCase(), args: rest.join(' ') };
  });
}

/** Whether `.dockerignore` patterns (the subset used: `**` prefixes, `*`, plain paths) exclude `path`. */
function ignored(patterns: string[], path: string): boolean {
  const parts = path.replace(/\/$/, '').split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  return patterns.some((p) => {
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '~GLOBSTAR~').replace(/\*/g, '[^/]*').replace(/~GLOBSTAR~/g, '(?:.*/)?')}$`);
    return prefixes.some((x) => re.test(x));
  });
}

const docker = instructions(read('Dockerfile'));
const ignore = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const rootPkg = JSON.parse(read('package.json')) as { workspaces: string[]; dependencies?: Record<string, string> };
const copies = docker.filter((i) => i.op === 'COPY' && !i.args.includes('--from=')).map((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')));
const sources = copies.flatMap((a) => a.slice(0, -1));

describe('Dockerfile (static checks)', () => {
  it('builds on node:20-bookworm-slim in two stages', () => {
    const arg = docker.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    expect(arg?.args).to.equal('NODE_IMAGE=node:20-bookworm-slim');
    expect(docker.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0])).to.deep.equal(['${NODE_IMAGE}', '${NODE_IMAGE}']);
  });

  it('copies only sources that exist and that .dockerignore keeps', () => {
    expect(sources.length).to.be.greaterThan(3);
    for (const s of sources) {
      expect(existsSync(join(ROOT, s)), `COPY ${s} exists`).to.equal(true);
      expect(ignored(ignore, s), `COPY ${s} is not in .dockerignore`).to.equal(false);
    }
  });

  it('brings every npm workspace into the image (npm ci needs each package.json)', () => {
    for (const ws of rootPkg.workspaces) {
      expect(sources.some((s) => s.replace(/\/$/, '') === ws || s === `${ws}/package.json`), `workspace ${ws} copied`).to.equal(true);
    }
  });

  it('keeps what `mi install --print` and the entry points read at run time', () => {
    for (const p of ['k8s/deploy/base/kustomization.yaml', 'k8s/crds/kustomization.yml', 'control-plane/bin/mi.js', 'control-plane/src/cli/mi.ts', 'data-plane/bin/mi-gateway.js', 'engine-sim/bin/mi-engine-sim.js', 'k8s/bin/mi-k8s.js', 'examples/quickstart.yaml']) {
      expect(ignored(ignore, p), `${p} reaches the image`).to.equal(false);
    }
    for (const p of ['node_modules/x', 'data-plane/node_modules/x', '.git/HEAD', 'k8s/src/install/deploy.test.ts']) {
      expect(ignored(ignore, p), `${p} stays out of the image`).to.equal(true);
    }
  });

  it('installs production dependencies only, and tsx (which runs the TypeScript) is one of them', () => {
    expect(docker.some((i) => i.op === 'RUN' && /npm ci --omit=dev/.test(i.args))).to.equal(true);
    expect(rootPkg.dependencies).to.have.property('tsx');
  });

  it('runs as a numeric non-root user with `mi` as the entry point', () => {
    const user = docker.filter((i) => i.op === 'USER').at(-1)?.args ?? '';
    expect(user).to.match(/^[1-9]\d*(:\d+)?$/);
    expect(docker.filter((i) => i.op === 'ENTRYPOINT').at(-1)?.args).to.equal('["mi"]');
  });

  it('the manifests use the image by the name kustomize `images:` overrides, and commands it has', () => {
    const bins = new Set<string>();
    for (const ws of rootPkg.workspaces) {
      if (!existsSync(join(ROOT, ws, 'package.json'))) continue;
      for (const b of Object.keys((JSON.parse(read(`${ws}/package.json`)) as { bin?: Record<string, string> }).bin ?? {})) bins.add(b);
    }
    const base = parseAllDocuments(read('k8s/deploy/base/kustomization.yaml'))[0]?.toJS() as { images: { name: string }[] };
    expect(base.images.map((i) => i.name)).to.deep.equal(['matrixinfer']);
    for (const f of ['control-plane/deployment.yaml', 'gateway/deployment.yaml']) {
      const d = parseAllDocuments(read(`k8s/deploy/base/${f}`))[0]?.toJS() as { spec: { template: { spec: { containers: { image: string; command?: string[] }[] } } } };
      for (const c of d.spec.template.spec.containers) {
        expect(c.image).to.equal('matrixinfer');
        expect(bins.has(c.command?.[0] ?? 'mi'), `${f}: ${c.command?.[0] ?? 'mi'} is a bin in the image`).to.equal(true);
      }
    }
  });
});
