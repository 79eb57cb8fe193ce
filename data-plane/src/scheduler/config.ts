// Scheduler configuration: its shape, JSON Schema, and validation against a plugin registry.
// A bad config is rejected as a whole with every problem listed; nothing is silently defaulted.
import { parse as parseYaml } from 'yaml';
import { createAjv, type AjvError } from './ajv.js';
import { SchedulerConfigError } from './errors.js';
import type { PluginKind, PluginRegistry } from './registry.js';

export interface FilterConfig {
  name: string;
  params?: Record<string, unknown>;
  /**
   * What to do when this filter removes every endpoint: `keep` (default) bypasses the filter
   * and keeps the set it was given (recorded in explain.bypassed); `empty` returns no candidate.
   */
  onEmpty?: 'keep' | 'empty';
}

export interface ScorerConfig {
  name: string;
  /** Required (no silent default): the scorer's share of the weighted total. */
  weight: number;
  params?: Record<string, unknown>;
}

export interface PickerConfig {
  name: string;
  params?: Record<string, unknown>;
}

export interface SchedulerConfig {
  filters: FilterConfig[];
  scorers: ScorerConfig[];
  picker: PickerConfig;
}

const nameSchema = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9-]*$' };
const paramsSchema = { type: 'object' };

/** JSON Schema of SchedulerConfig (used for the `mi-config` value and `mi up --config`). */
export const SCHEDULER_CONFIG_SCHEMA = {
  $id: 'https://matrixinfer.ai/schemas/scheduler-config.json',
  type: 'object',
  additionalProperties: false,
  required: ['scorers', 'picker'],
  properties: {
    filters: {
      type: 'array',
      maxItems: 16,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: nameSchema, params: paramsSchema, onEmpty: { enum: ['keep', 'empty'] } },
      },
    },
    scorers: {
      type: 'array',
      maxItems: 16,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'weight'],
        properties: {
          name: nameSchema,
          weight: { type: 'number', minimum: 0, maximum: 1000 },
          params: paramsSchema,
        },
      },
    },
    picker: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: nameSchema, params: paramsSchema },
    },
  },
} as const;

function describe(errors: AjvError[] | null | undefined, prefix: string): string[] {
  return (errors ?? []).map((e) => {
    const at = `${prefix}${e.instancePath}` || '/';
    if (e.keyword === 'required') return `${at}: missing required property "${String(e.params.missingProperty)}"`;
    if (e.keyword === 'additionalProperties') {
      return `${at}: unknown property "${String(e.params.additionalProperty)}"`;
    }
    if (e.keyword === 'enum') return `${at}: must be one of ${JSON.stringify(e.params.allowedValues)}`;
    return `${at}: ${e.message ?? e.keyword}`;
  });
}

/** A validator bound to one registry: `validate(raw)` returns the config or throws SchedulerConfigError. */
export interface ConfigValidator {
  validate(raw: unknown): SchedulerConfig;
}

/** Creates a validator that checks shape, plugin names and each plugin's params. */
export function createConfigValidator(registry: PluginRegistry): ConfigValidator {
  const ajv = createAjv();
  const validateShape = ajv.compile(SCHEDULER_CONFIG_SCHEMA);

  function checkPlugin(kind: PluginKind, name: string, params: unknown, at: string, problems: string[]): void {
    const entry = registry.lookup(kind, name);
    if (!entry) {
      problems.push(`${at}/name: unknown ${kind} "${name}" (known: ${registry.names(kind).join(', ') || 'none'})`);
      return;
    }
    if (entry.validate && !entry.validate(params ?? {})) {
      problems.push(...describe(entry.validate.errors, `${at}/params`).map((p) => `${p} (${kind} "${name}")`));
    }
  }

  return {
    validate(raw) {
      if (!validateShape(raw)) throw new SchedulerConfigError(describe(validateShape.errors, ''));
      const cfg = raw as unknown as SchedulerConfig;
      const problems: string[] = [];
      const filters = cfg.filters ?? [];
      filters.forEach((f, i) => checkPlugin('filter', f.name, f.params, `/filters/${i}`, problems));
      cfg.scorers.forEach((s, i) => checkPlugin('scorer', s.name, s.params, `/scorers/${i}`, problems));
      checkPlugin('picker', cfg.picker.name, cfg.picker.params, '/picker', problems);
      const seen = new Set<string>();
      cfg.scorers.forEach((s, i) => {
        if (seen.has(s.name)) problems.push(`/scorers/${i}/name: scorer "${s.name}" listed twice`);
        seen.add(s.name);
      });
      if (problems.length > 0) throw new SchedulerConfigError(problems);
      // Return a deep copy so later mutation of the caller's object cannot change a live config.
      return structuredClone({ filters, scorers: cfg.scorers, picker: cfg.picker });
    },
  };
}

/**
 * Parses a config document (YAML or JSON text or bytes, e.g. the `mi-config` value or the file of
 * `mi up --config`) into an unvalidated value for `validate`/`reconfigure`. A bare string
 * document names a profile. Syntax errors become SchedulerConfigError.
 */
export function parseSchedulerConfigText(text: string | Uint8Array): unknown {
  const s = typeof text === 'string' ? text : new TextDecoder().decode(text);
  try {
    return parseYaml(s);
  } catch (err) {
    throw new SchedulerConfigError([`not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`], { cause: err });
  }
}
