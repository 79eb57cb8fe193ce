// The vendored schema file: how it is rendered from the client, and how it is loaded.
import { readFileSync } from 'node:fs';
import { BUNDLE_KINDS, buildKubernetesSchema, type KubernetesSchema } from './build-schema.js';
import { clientPackage, clientSpecVersion, nodeModelSource } from './model-source.js';

/** The text kubernetes-schema.json should have for the installed client. */
export function currentKubernetesSchema(): string {
  const source = `@kubernetes/client-node ${clientPackage().version} models (Kubernetes OpenAPI spec ${clientSpecVersion()})`;
  const schema = buildKubernetesSchema(nodeModelSource(), BUNDLE_KINDS, source);
  // One definition per line: small diffs when the client changes, and still readable.
  const defs = Object.entries(schema.definitions).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n');
  return `{\n  "source": ${JSON.stringify(schema.source)},\n  "kinds": ${JSON.stringify(schema.kinds, null, 4).replace(/\n}/, '\n  }')},\n  "definitions": {\n${defs}\n  }\n}\n`;
}

/** The vendored schema. */
export function loadKubernetesSchema(): KubernetesSchema {
  return JSON.parse(readFileSync(new URL('./kubernetes-schema.json', import.meta.url), 'utf8')) as KubernetesSchema;
}
