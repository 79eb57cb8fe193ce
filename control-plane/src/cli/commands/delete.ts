// `mi delete KIND NAME [-n NS]`: writes a tombstone event for the resource.
import { Command } from 'commander';
import { resolveKind } from '@matrixinfer/schemas';
import { DEFAULT_NAMESPACE } from '@matrixinfer/events';
import { withService } from '../connect.js';
import type { CliIO, GlobalOptions } from '../io.js';
import { resourceRef } from './apply.js';
import { cliTraceparent } from '../trace.js';

/** The `delete` command. */
export function deleteCommand(io: CliIO, globals: () => GlobalOptions): Command {
  return new Command('delete')
    .description('delete a resource (a tombstone event on its subject)')
    .argument('<kind>', 'kind, plural or short name')
    .argument('<name>', 'resource name')
    .option('-n, --namespace <ns>', 'namespace', DEFAULT_NAMESPACE)
    .action(async (kindInput: string, name: string, opts: { namespace: string }) => {
      const info = resolveKind(kindInput);
      await withService(globals(), io, async (svc) => {
        const o = await svc.delete(info.kind, opts.namespace, name, { traceparent: cliTraceparent(io.env) });
        io.out(`${resourceRef(o.kind, o.name)} deleted`);
      });
    });
}
