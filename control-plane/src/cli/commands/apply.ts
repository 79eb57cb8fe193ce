// `mi apply -f FILE|DIR|- [--dry-run] [-n NS]`: validate every document, then submit them.
// Files may mix in Kubernetes core kinds, as MatrixInfer manifests do: Secrets and ConfigMaps
// are stored in the `mi-secrets` bucket (output shows their content hash, never values), other
// core kinds are skipped with one warning line each.
import { Command } from 'commander';
import { skipWarning } from '../../api/core-objects.js';
import { openCoreObjectStore } from '../../api/core-store.js';
import { validateMixedManifests } from '../../api/service.js';
import { withService } from '../connect.js';
import { readManifests } from '../input.js';
import type { CliIO, GlobalOptions } from '../io.js';
import { cliTraceparent } from '../trace.js';

interface ApplyOptions {
  filename: string[];
  dryRun?: boolean;
  namespace?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** `kind/name` as `mi` prints it: the kind lower-cased. */
export function resourceRef(kind: string, name: string): string {
  return `${kind.toLowerCase()}/${name}`;
}

/** The `apply` command. */
export function applyCommand(io: CliIO, globals: () => GlobalOptions): Command {
  return new Command('apply')
    .description('validate and submit resources (multi-document YAML or JSON; files, directories or - for stdin)')
    .requiredOption('-f, --filename <path>', 'file, directory (its .yaml/.yml/.json files) or - for stdin; repeatable', collect)
    .option('--dry-run', 'only validate; prints kind/name valid (needs no NATS)')
    .option('-n, --namespace <ns>', 'namespace for documents that name none')
    .action(async (opts: ApplyOptions) => {
      const texts = await readManifests(opts.filename, io.stdin);
      // Everything is validated before anything is sent: one bad document stops them all.
      const { docs, coreObjects, skipped } = validateMixedManifests(texts, { namespace: opts.namespace });
      for (const d of skipped) io.err(skipWarning(d));
      if (opts.dryRun) {
        for (const c of coreObjects) io.out(`${resourceRef(c.object.kind, c.object.name)} valid`);
        for (const d of docs) io.out(`${resourceRef(d.resource.kind, d.resource.metadata.name)} valid`);
        return;
      }
      await withService(globals(), io, async (svc, nc) => {
        // Refused as a whole before anything is written (Kubernetes mode: kubectl owns the objects).
        await svc.checkWritable('mi apply');
        // Secrets and ConfigMaps first: the Models of the same file refer to them.
        if (coreObjects.length > 0) {
          const store = await openCoreObjectStore(nc, { ensure: true });
          for (const c of coreObjects) {
            const r = await store.put(c.object);
            io.out(`${resourceRef(c.object.kind, c.object.name)} ${r.result} (${r.sha256.slice(0, 19)})`);
          }
        }
        const traceparent = cliTraceparent(io.env);
        for (const d of docs) {
          const [o] = await svc.apply([d], { traceparent });
          io.out(`${resourceRef(o.kind, o.name)} ${o.result}`);
        }
      }, { ensure: true });
    });
}
