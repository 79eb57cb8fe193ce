// Engine flags from a worker's `config` object: the one place that knows how a JSON value
// becomes argv words, shared by the vLLM and SGLang builders.

/** How a `false` config value is spelled: vLLM's boolean flags take `--no-<flag>`, SGLang has none. */
export type FalseStyle = 'negate' | 'omit';

/**
 * A worker's `config` as the flag map the builders read. The CRD leaves it untyped, as
 * MatrixInfer does; validation (schemas rules/model.ts) refuses anything but an object, so a
 * non-object here means no flags rather than a crash.
 */
export function workerConfig(worker: { config?: unknown }): Record<string, unknown> | undefined {
  const c = worker.config;
  return c !== null && typeof c === 'object' && !Array.isArray(c) ? (c as Record<string, unknown>) : undefined;
}

/** `maxModelLen`, `max_model_len` and `max-model-len` all name `--max-model-len`. */
export function flagName(key: string): string {
  const bare = key.replace(/^-+/, '');
  const kebab = bare.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/_/g, '-').toLowerCase();
  return `--${kebab}`;
}

/**
 * Config object -> argv, keys sorted so the same config always gives the same command line.
 * `true` and `""` are bare flags (MatrixInfer's examples write `enable-prefix-caching: ""`),
 * `false` is negated or omitted per `falseStyle`, null is omitted, arrays repeat their values
 * after one flag (argparse nargs), objects become JSON (vLLM's `--kv-transfer-config`).
 */
export function configToArgs(config: Record<string, unknown> | undefined, falseStyle: FalseStyle = 'omit'): string[] {
  if (!config) return [];
  const out: string[] = [];
  for (const key of Object.keys(config).sort()) {
    const v = config[key];
    const flag = flagName(key);
    if (v === null || v === undefined) continue;
    if (v === false) {
      if (falseStyle === 'negate') out.push(`--no-${flag.slice(2)}`);
      continue;
    }
    if (v === true || v === '') out.push(flag);
    else if (Array.isArray(v)) out.push(flag, ...v.map((x) => (typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x))));
    else if (typeof v === 'object') out.push(flag, JSON.stringify(v));
    else out.push(flag, String(v));
  }
  return out;
}

/** The config value under any spelling of `flag` (`--tensor-parallel-size`), undefined when unset. */
export function configValue(config: Record<string, unknown> | undefined, ...flags: string[]): unknown {
  if (!config) return undefined;
  for (const key of Object.keys(config)) if (flags.includes(flagName(key))) return config[key];
  return undefined;
}

/** The config without the keys naming any of `flags` (the builder sets those itself). */
export function withoutFlags(config: Record<string, unknown> | undefined, ...flags: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config ?? {})) if (!flags.includes(flagName(k))) out[k] = v;
  return out;
}

/** True when argv already carries `flag` (alone or as `flag=value`). */
export function hasFlag(args: readonly string[], flag: string): boolean {
  return args.some((a) => a === flag || a.startsWith(`${flag}=`));
}

/**
 * One argv word quoted for `sh -c`. `$(NAME)` and `$NAME` references are left to expand (the
 * kubelet expands `$(PORT)` from the container env before the shell runs; the shell expands
 * `$ENTRY_ADDRESS`), everything else is single-quoted.
 */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_./:=,@%+-]+$/.test(word)) return word;
  if (/^"?\$(\([A-Z_]+\)|\{?[A-Z_]+\}?)(:[0-9]+)?"?$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** argv joined into one `sh -c` command line. */
export function shellLine(argv: readonly string[]): string {
  return argv.map(shellWord).join(' ');
}
