#!/usr/bin/env node
// `npm test`: set-up check, lint, type check, import-circle check, then every workspace's mocha suite through lerna,
// and one closing line with the totals of all suites.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stats = join(root, '.tmp', 'test-stats.jsonl');

function run(label, cmd, args) {
  process.stderr.write(`\n== ${label}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  return r.status === 0;
}

rmSync(stats, { force: true });
let ok = run('set-up', 'node', ['scripts/setup.mjs', '--tests']);
if (!ok) process.exit(1);
ok = run('lint (eslint)', 'npx', ['eslint', '.']) && ok;
ok = run('types (tsc --noEmit)', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']) && ok;
ok = run('import circles', 'node', ['scripts/import-circles.mjs']) && ok;
const extra = process.argv.slice(2);
ok = run('tests (lerna run test)', 'npx', ['lerna', 'run', 'test', '--concurrency', '1', '--stream', '--no-bail', '--skip-nx-cache', ...extra]) && ok;

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(stats)) {
  for (const line of readFileSync(stats, 'utf8').split('\n').filter(Boolean)) {
    const s = JSON.parse(line);
    passed += s.passes;
    failed += s.failures;
    skipped += s.pending;
  }
}
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(ok && failed === 0 && passed > 0 ? 0 : 1);
