// The installed @kubernetes/client-node as a ModelSource: attribute maps from its model classes,
// required properties from their type declarations (the only place the generator kept them).
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { ModelAttribute, ModelSource } from './build-schema.js';

/** The client's package directory and version. */
export function clientPackage(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  // The package's exports hide package.json; its main entry lives in <dir>/dist.
  const dir = dirname(dirname(require.resolve('@kubernetes/client-node')));
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  return { dir, version: pkg.version };
}

/** Reads model descriptions from the installed client. */
export function nodeModelSource(): ModelSource {
  const models = join(clientPackage().dir, 'dist', 'gen', 'models');
  const classes = k8s as unknown as Record<string, { attributeTypeMap?: ModelAttribute[] } | undefined>;
  return {
    attributes: (model) => classes[model]?.attributeTypeMap,
    required: (model) => {
      const file = join(models, `${model}.d.ts`);
      if (!existsSync(file)) return [];
      return [...readFileSync(file, 'utf8').matchAll(/^ {4}'([^']+)': /gm)].map((m) => m[1] as string);
    },
  };
}

/** The OpenAPI spec version the client was generated from (its header comment). */
export function clientSpecVersion(): string {
  const text = readFileSync(join(clientPackage().dir, 'dist', 'gen', 'models', 'V1Pod.js'), 'utf8');
  return /OpenAPI spec version: (\S+)/.exec(text)?.[1] ?? 'unknown';
}
