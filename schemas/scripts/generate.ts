// `npm run generate -w schemas`: writes src/generated/types.ts from the schemas.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTypes } from '../src/codegen/types.js';

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'generated', 'types.ts');
writeFileSync(target, await renderTypes());
process.stdout.write(`wrote ${target}\n`);
