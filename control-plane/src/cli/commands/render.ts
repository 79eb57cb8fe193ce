// `mi render -f FILE|DIR|- [-o yaml|json] [-n NS]`: what the controllers derive from the given
// resources, printed and not submitted. A Model becomes the children the Model controller
// stores (expandModel, the very function the controller runs); every other kind is printed as
// it would be stored. Input is validated exactly as `mi apply` validates it.
import { Command } from 'commander';
import { InvalidResourcesError, type SubmitProblem } from '../../api/errors.js';
import { validateManifests, type ValidatedDoc } from '../../api/service.js';
import { InvalidResourceError } from '../../controllers/errors.js';
import { expandModel } from '../../controllers/model/expand.js';
import type { AnyResource, Model } from '../../controllers/types.js';
import { readManifests } from '../input.js';
import type { CliIO } from '../io.js';
import { parseOutputFormat, toJson, toYaml } from '../output.js';

interface RenderOptions {
  filename: string[];
  output: string;
  namespace?: string;
  uid?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/**
 * The resources `docs` turn into: each Model's children, every other document unchanged. A Model
 * without a uid (a file, not a stored Model) gets `uid` as its owner uid when given; else its
 * children carry no ownerReferences, because the kube-apiserver refuses an empty owner uid and
 * garbage-collects children whose owner uid does not exist. Throws InvalidResourcesError, with
 * every Model the controller cannot expand, before returning anything.
 */
export function renderDocs(docs: ValidatedDoc[], opts: { uid?: string } = {}): AnyResource[] {
  const out: AnyResource[] = [];
  const problems: SubmitProblem[] = [];
  for (const d of docs) {
    const r = d.resource as AnyResource;
    if (r.kind !== 'Model') {
      out.push(r);
      continue;
    }
    const model = r as unknown as Model;
    const owned = opts.uid !== undefined && !model.metadata.uid ? { ...model, metadata: { ...model.metadata, uid: opts.uid } } : model;
    try {
      const children = expandModel(owned);
      if (!owned.metadata.uid) for (const c of children) delete c.metadata.ownerReferences;
      out.push(...children);
    } catch (err) {
      if (!(err instanceof InvalidResourceError)) throw err;
      problems.push({ source: d.source, index: d.index, kind: r.kind, name: r.metadata.name, path: 'spec.backends', message: err.message });
    }
  }
  if (problems.length > 0) throw new InvalidResourcesError(problems);
  return out;
}

/** Models among `docs` with no uid (rendered without ownerReferences unless --uid is given). */
export function modelsWithoutUid(docs: ValidatedDoc[]): string[] {
  return docs.filter((d) => d.resource.kind === 'Model' && !(d.resource as AnyResource).metadata.uid).map((d) => (d.resource as AnyResource).metadata.name);
}

/** The `render` command. */
export function renderCommand(io: CliIO): Command {
  return new Command('render')
    .description('print what the controllers derive from resources (a Model -> ModelInfer with Pod templates, ModelServer, ModelRoute, autoscaling); nothing is submitted, no NATS needed')
    .requiredOption('-f, --filename <path>', 'file, directory (its .yaml/.yml/.json files) or - for stdin; repeatable', collect)
    .option('-o, --output <format>', 'yaml or json (a v1 List)', 'yaml')
    .option('-n, --namespace <ns>', 'namespace for documents that name none')
    .option('--uid <uid>', 'owner uid for Models that carry none (the uid of the Model in the cluster); without it their children get no ownerReferences')
    .action(async (opts: RenderOptions) => {
      const format = parseOutputFormat(opts.output, ['yaml', 'json']);
      const texts = await readManifests(opts.filename, io.stdin);
      const docs = validateManifests(texts, { namespace: opts.namespace });
      const rendered = renderDocs(docs, { uid: opts.uid });
      if (opts.uid === undefined) {
        for (const name of modelsWithoutUid(docs)) {
          io.err(`note: model/${name} has no metadata.uid: its children are printed without ownerReferences; pass --uid "$(kubectl get model ${name} -o jsonpath='{.metadata.uid}')" to have them owned by the Model`);
        }
      }
      io.out(format === 'json' ? toJson({ apiVersion: 'v1', kind: 'List', items: rendered }) : toYaml(rendered));
    });
}
