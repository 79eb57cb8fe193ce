// `mi keys create|list|revoke --file FILE`: the gateway's API key file (docs/security.md). A new
// key is printed once on stdout; the file keeps only its SHA-256. Writes are atomic (a temporary
// file renamed over the old one, mode 0600), so a gateway following the file never reads half.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatApiKeyFile, parseApiKeyFile, type ApiKeyFile } from '@matrixinfer/schemas';
import type { CliIO } from '../io.js';
import { createKey, emptyKeyFile, keyTable, revokeKey } from '../api-keys.js';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('not a positive integer');
  return n;
}

function readKeys(path: string, missingOk: boolean): ApiKeyFile {
  if (missingOk && !existsSync(path)) return emptyKeyFile();
  return parseApiKeyFile(readFileSync(path, 'utf8'), path);
}

function writeKeys(path: string, file: ApiKeyFile, nowMs: number): void {
  const tmp = `${path}.${process.pid}.${nowMs}.tmp`;
  writeFileSync(tmp, formatApiKeyFile(file), { mode: 0o600 });
  renameSync(tmp, path);
}

const fileOption = (): Option => new Option('--file <file>', 'the key file (what mi-gateway --api-keys reads)').env('MI_GATEWAY_API_KEYS').makeOptionMandatory();

/** The `keys` command and its subcommands. */
export function keysCommand(io: CliIO): Command {
  const keys = new Command('keys').description("manage the gateway's API keys (a file of SHA-256 hashes; docs/security.md)");
  keys
    .command('create')
    .description('make a key: prints it once on stdout, stores only its hash')
    .argument('<name>', 'key id: what logs, metrics and `mi keys list` show')
    .requiredOption('--models <list>', 'comma-separated model names or globs the key may use ("*": every model)')
    .addOption(new Option('--rpm <n>', 'requests per minute (all gateway replicas together)').argParser(positiveInt))
    .addOption(new Option('--tpm <n>', 'prompt + completion tokens per minute (all gateway replicas together)').argParser(positiveInt))
    .addOption(new Option('--priority <band>', 'default and highest priority band of its requests').choices(['high', 'normal', 'low']))
    .option('--expires <when>', 'ISO 8601 time, or a span from now (90d, 12h)')
    .option('--admin', 'the key may also read /debug/* (and a protected /metrics)')
    .addOption(fileOption())
    .action((name: string, o: { models: string; rpm?: number; tpm?: number; priority?: string; expires?: string; admin?: boolean; file: string }) => {
      const models = o.models.split(',').map((m) => m.trim()).filter((m) => m !== '');
      const nowMs = io.nowMs();
      const made = createKey(readKeys(o.file, true), { id: name, models, rpm: o.rpm, tpm: o.tpm, priority: o.priority, expires: o.expires, admin: o.admin }, nowMs, (n) => randomBytes(n), o.file);
      writeKeys(o.file, made.file, nowMs);
      io.out(made.key);
      io.err(`key "${name}" added to ${o.file}; it is shown only now (the file keeps its SHA-256)`);
    });
  keys
    .command('list')
    .description('list the keys of a file (never a key or a hash)')
    .addOption(fileOption())
    .option('-o, --output <format>', 'table or json', 'table')
    .action((o: { file: string; output: string }) => {
      const file = readKeys(o.file, false);
      if (o.output === 'json') io.out(JSON.stringify(file.keys.map(({ sha256: _hash, ...rest }) => rest)));
      else io.out(keyTable(file, io.nowMs()));
    });
  keys
    .command('revoke')
    .description('remove a key: gateways following the file refuse it from their next reload')
    .argument('<name>', 'key id')
    .addOption(fileOption())
    .action((name: string, o: { file: string }) => {
      writeKeys(o.file, revokeKey(readKeys(o.file, false), name, o.file), io.nowMs());
      io.out(`key "${name}" revoked in ${o.file}`);
    });
  // Subcommands made before mi.ts sets these on `keys` do not inherit them.
  for (const sub of keys.commands) sub.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  return keys;
}
