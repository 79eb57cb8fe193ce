#!/usr/bin/env node
// Fails when any import circle exists between the project's TypeScript files (type-only imports
// included: they tie files together for a reader just the same). Resolution is TypeScript's own
// with the root tsconfig, so `./x.js` specifiers find `./x.ts` as tsc does.
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ts = createRequire(import.meta.url)('typescript');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every project file tsc sees under the root tsconfig, minus node_modules. */
function projectFiles() {
  const cfg = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  return { files: cfg.fileNames.filter((f) => !f.includes('/node_modules/')), options: cfg.options };
}

/** file → the project files it imports (static, dynamic, re-exports, type-only). */
function importGraph({ files, options }) {
  const inProject = new Set(files);
  const host = ts.createCompilerHost(options);
  const graph = new Map();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const deps = new Set();
    for (const ref of info.importedFiles) {
      const r = ts.resolveModuleName(ref.fileName, file, options, host).resolvedModule;
      if (r && inProject.has(r.resolvedFileName) && r.resolvedFileName !== file) deps.add(r.resolvedFileName);
    }
    graph.set(file, [...deps]);
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan), each a circle. */
function circles(graph) {
  let index = 0;
  const idx = new Map(), low = new Map(), stack = [], on = new Set(), out = [];
  const visit = (v) => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do { w = stack.pop(); on.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1) out.push(comp);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const project = projectFiles();
const found = circles(importGraph(project));
if (found.length === 0) {
  process.stdout.write(`no import circle among ${project.files.length} files\n`);
} else {
  for (const c of found) process.stdout.write(`import circle: ${c.map((f) => relative(root, f)).join(' <-> ')}\n`);
  process.exit(1);
}
