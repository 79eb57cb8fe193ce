// `npm run generate -w k8s`: writes k8s/crds/<plural>.<group>.yaml from the schemas.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAllCrds } from '../src/crd-build.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'crds');
for (const [name, text] of renderAllCrds()) {
  writeFileSync(join(dir, name), text);
  process.stdout.write(`wrote ${join(dir, name)}\n`);
}
