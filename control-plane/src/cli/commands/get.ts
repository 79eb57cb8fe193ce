// `mi get KIND [NAME] [-n NS] [-A] [-o table|yaml|json]`: current state with status.
import { Command } from 'commander';
import { resolveKind } from '@matrixinfer/schemas';
import { DEFAULT_NAMESPACE } from '@matrixinfer/events';
import { resourceTable } from '../columns.js';
import { withService } from '../connect.js';
import type { CliIO, GlobalOptions } from '../io.js';
import { parseOutputFormat, toJson, toYaml } from '../output.js';
import { renderTable } from '../table.js';

interface GetOptions {
  namespace?: string;
  allNamespaces?: boolean;
  output: string;
}

/** The `get` command. */
export function getCommand(io: CliIO, globals: () => GlobalOptions): Command {
  return new Command('get')
    .description('show resources with their status (KIND: Model, models or a short name such as mdl)')
    .argument('<kind>', 'kind, plural or short name')
    .argument('[name]', 'one resource by name')
    .option('-n, --namespace <ns>', 'namespace', DEFAULT_NAMESPACE)
    .option('-A, --all-namespaces', 'list across every namespace')
    .option('-o, --output <format>', 'table, yaml or json', 'table')
    .action(async (kindInput: string, name: string | undefined, opts: GetOptions) => {
      const format = parseOutputFormat(opts.output, ['table', 'yaml', 'json']);
      const info = resolveKind(kindInput);
      await withService(globals(), io, async (svc) => {
        const items = name !== undefined ? [await svc.get(info.kind, opts.namespace, name)] : await svc.list(info.kind, opts.allNamespaces ? undefined : opts.namespace);
        if (format === 'json') {
          io.out(toJson(name !== undefined ? items[0] : { apiVersion: 'v1', kind: 'List', items }));
        } else if (format === 'yaml') {
          if (items.length > 0) io.out(toYaml(items));
        } else if (items.length === 0) {
          io.err(`No ${info.plural} found${opts.allNamespaces ? '' : ` in namespace ${opts.namespace}`}.`);
        } else {
          const t = resourceTable(info.kind, items, io.nowMs(), opts.allNamespaces === true);
          io.out(renderTable(t.headers, t.rows));
        }
      });
    });
}
