// Fields that may not change once an object exists. Each names what a running thing is keyed
// by, so changing it in place would strand what was built for the old value; the message says
// what to do instead. Compared on defaulted documents, so writing out a default is no change.
import type { ValidationIssue } from '../issues.js';
import type { KindName } from '../registry.js';
import { obj, str, type Obj } from './util.js';

interface Immutable {
  path: string;
  read: (doc: Obj) => unknown;
  why: string;
}

const spec = (d: Obj): Obj | undefined => obj(d.spec);
const scaling = (d: Obj): Obj | undefined => obj(spec(d)?.scalingConfiguration);
const targetRef = (d: Obj): Obj | undefined => obj(obj(scaling(d)?.target)?.targetRef);

const FIELDS: Partial<Record<KindName, Immutable[]>> = {
  // MatrixInfer's own CRD carries this rule (x-kubernetes-validations: self == oldSelf).
  ModelRoute: [{ path: 'spec.modelName', read: (d) => str(spec(d)?.modelName), why: 'it is the route key gateways match requests by; create a new ModelRoute for the new name and delete this one' }],
  AutoscalingPolicyBinding: [
    {
      path: 'spec',
      read: (d) => (scaling(d) !== undefined ? 'scalingConfiguration' : obj(spec(d)?.optimizerConfiguration) !== undefined ? 'optimizerConfiguration' : undefined),
      why: 'a binding cannot switch between scalingConfiguration and optimizerConfiguration; delete it and create the new kind of binding',
    },
    { path: 'spec.scalingConfiguration.target.targetRef.kind', read: (d) => str(targetRef(d)?.kind), why: 'delete the binding and bind the new target, so the old one is not left at its last scaled replica count' },
    { path: 'spec.scalingConfiguration.target.targetRef.name', read: (d) => str(targetRef(d)?.name), why: 'delete the binding and bind the new target, so the old one is not left at its last scaled replica count' },
  ],
};

/** Issues for immutable fields of `kind` that differ between the stored and the new document (both defaulted). */
export function updateIssues(kind: KindName, before: Obj, after: Obj): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const f of FIELDS[kind] ?? []) {
    const was = f.read(before);
    const now = f.read(after);
    // Unset on either side is a schema matter (or follows from a change already reported).
    if (was === undefined || now === undefined || was === now) continue;
    out.push({ path: f.path, message: `is immutable (was ${JSON.stringify(was)}, now ${JSON.stringify(now)}): ${f.why}` });
  }
  return out;
}
