// `npm run generate -w k8s`: writes k8s/crds/<plural>.<group>.yaml from the schemas, the
// kustomization.yml that lists them for k8s/deploy, and the NATS users' ConfigMap.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAllCrds } from '../src/crd-build.js';
import { CRD_KUSTOMIZATION_FILE, renderCrdKustomization } from '../src/install/crd-kustomization.js';
import { NATS_AUTHORIZATION_MANIFEST, renderNatsAuthorizationManifest } from '../src/install/nats-users.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'crds');
const crds = renderAllCrds();
for (const [name, text] of crds) {
  writeFileSync(join(dir, name), text);
  process.stdout.write(`wrote ${join(dir, name)}\n`);
}
writeFileSync(join(dir, CRD_KUSTOMIZATION_FILE), renderCrdKustomization(crds.keys()));
process.stdout.write(`wrote ${join(dir, CRD_KUSTOMIZATION_FILE)}\n`);
const natsAuth = join(dirname(fileURLToPath(import.meta.url)), '..', 'deploy', NATS_AUTHORIZATION_MANIFEST);
writeFileSync(natsAuth, renderNatsAuthorizationManifest());
process.stdout.write(`wrote ${natsAuth}\n`);
