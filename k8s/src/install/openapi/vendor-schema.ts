// `node --import tsx k8s/src/install/openapi/vendor-schema.ts`: rewrites kubernetes-schema.json
// from the installed @kubernetes/client-node (run after upgrading the client or adding a kind).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { currentKubernetesSchema } from './schema-file.js';

const file = fileURLToPath(new URL('./kubernetes-schema.json', import.meta.url));
writeFileSync(file, currentKubernetesSchema());
process.stdout.write(`wrote ${file}\n`);
