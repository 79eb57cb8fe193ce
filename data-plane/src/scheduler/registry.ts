// Plugin registry: an object built by the caller (main or a test), never a module singleton.
// Each entry knows how to build its plugin from validated params and the shared context.
import { createAjv, type AjvValidate } from './ajv.js';
import { PluginRegistrationError } from './errors.js';
import type { Hasher } from './hasher.js';
import type { PrefixIndex } from './prefix-index.js';
import type { Filter, Picker, Scorer } from './types.js';

/** Shared, long-lived things plugins may use; survives live reconfiguration. */
export interface PluginContext {
  hasher: Hasher;
  /** Approximate prefix placements, shared by prefix plugins and (via the gateway) by peers. */
  prefixIndex: PrefixIndex;
  /** Wall clock in ms. */
  nowMs: () => number;
}

export type PluginKind = 'filter' | 'scorer' | 'picker';
type PluginOf<K extends PluginKind> = K extends 'filter' ? Filter : K extends 'scorer' ? Scorer : Picker;

/** How to build one plugin. `paramsSchema` (JSON Schema) is checked before `create` runs. */
export interface PluginSpec<K extends PluginKind, P = Record<string, unknown>> {
  kind: K;
  name: string;
  /** One line for docs and errors. */
  description: string;
  paramsSchema?: object;
  create(params: P, ctx: PluginContext): PluginOf<K>;
}

interface Entry<K extends PluginKind> {
  spec: PluginSpec<K, unknown>;
  validate: AjvValidate | null;
}

/** Registered plugins by kind and name. */
export interface PluginRegistry {
  /** Adds a plugin; throws PluginRegistrationError when the name is taken for that kind. */
  register<K extends PluginKind, P>(spec: PluginSpec<K, P>): void;
  /** The entry for a name, or undefined. */
  lookup<K extends PluginKind>(kind: K, name: string): Entry<K> | undefined;
  /** Registered names of one kind, sorted. */
  names(kind: PluginKind): string[];
}

/** Creates an empty registry. */
export function createRegistry(): PluginRegistry {
  const ajv = createAjv();
  const byKind: { [K in PluginKind]: Map<string, Entry<K>> } = {
    filter: new Map(),
    scorer: new Map(),
    picker: new Map(),
  };
  return {
    register<K extends PluginKind, P>(spec: PluginSpec<K, P>): void {
      const map = byKind[spec.kind] as Map<string, Entry<K>>;
      if (map.has(spec.name)) {
        throw new PluginRegistrationError(`${spec.kind} plugin "${spec.name}" is already registered`);
      }
      const validate = spec.paramsSchema ? ajv.compile(spec.paramsSchema) : null;
      map.set(spec.name, { spec: spec as PluginSpec<K, unknown>, validate });
    },
    lookup<K extends PluginKind>(kind: K, name: string): Entry<K> | undefined {
      return (byKind[kind] as Map<string, Entry<K>>).get(name);
    },
    names(kind: PluginKind): string[] {
      return [...byKind[kind].keys()].sort();
    },
  };
}
